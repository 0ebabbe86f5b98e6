//! credstash's cipher, exactly: a 64-byte KMS data key split in halves,
//! AES-256-CTR (initial counter block 0..01, the whole block incremented as a
//! 128-bit big-endian integer) over the plaintext, and an HMAC of the
//! ciphertext, verified in constant time before anything is decrypted.
//! Pure: no IO, no AWS.

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{KeyInit, Mac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// credstash's fixed initial counter block: 15 zero bytes, then 1.
pub const LEGACY_NONCE: [u8; 16] = {
    let mut block = [0u8; 16];
    block[15] = 1;
    block
};

/// The data key size credstash asks KMS for.
pub const DATA_KEY_BYTES: usize = 64;

/// The HMAC digests credstash 1.17.1 accepts, by the names it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Digest {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Md5,
}

impl Digest {
    pub const NAMES: [&'static str; 6] = ["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"];

    /// Parses a stored or requested digest name (credstash's spelling).
    pub fn parse(name: &str) -> Option<Digest> {
        Some(match name {
            "SHA" => Digest::Sha1,
            "SHA224" => Digest::Sha224,
            "SHA256" => Digest::Sha256,
            "SHA384" => Digest::Sha384,
            "SHA512" => Digest::Sha512,
            "MD5" => Digest::Md5,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Digest::Sha1 => "SHA",
            Digest::Sha224 => "SHA224",
            Digest::Sha256 => "SHA256",
            Digest::Sha384 => "SHA384",
            Digest::Sha512 => "SHA512",
            Digest::Md5 => "MD5",
        }
    }

    /// HMAC-<digest>(key, data).
    pub fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Digest::Sha1 => run::<hmac::Hmac<sha1::Sha1>>(key, data),
            Digest::Sha224 => run::<hmac::Hmac<sha2::Sha224>>(key, data),
            Digest::Sha256 => run::<hmac::Hmac<sha2::Sha256>>(key, data),
            Digest::Sha384 => run::<hmac::Hmac<sha2::Sha384>>(key, data),
            Digest::Sha512 => run::<hmac::Hmac<sha2::Sha512>>(key, data),
            Digest::Md5 => run::<hmac::Hmac<md5::Md5>>(key, data),
        }
    }
}

/// The two halves of a KMS data key: encryption key, then HMAC key.
fn halves(data_key: &[u8]) -> (&[u8], &[u8]) {
    data_key.split_at(data_key.len() / 2)
}

/// The HMAC did not match: the record was altered or the key is wrong.
#[derive(Debug, PartialEq, Eq)]
pub struct IntegrityFailure;

/// AES-256-CTR from `counter` in place (encryption and decryption are the same).
fn ctr_apply(key: &[u8], counter: &[u8; 16], buf: &mut [u8]) -> Result<(), IntegrityFailure> {
    let mut cipher = Aes256Ctr::new_from_slices(key, counter).map_err(|_| IntegrityFailure)?;
    cipher.apply_keystream(buf);
    Ok(())
}

/// Encrypts `plaintext` with AES-CTR from `counter` and returns (ciphertext,
/// raw HMAC of the ciphertext).
pub fn seal_ctr(data_key: &[u8], counter: &[u8; 16], plaintext: &[u8], digest: Digest) -> (Vec<u8>, Vec<u8>) {
    let (aes_key, hmac_key) = halves(data_key);
    let mut ciphertext = plaintext.to_vec();
    ctr_apply(aes_key, counter, &mut ciphertext).expect("a 64-byte data key gives a 32-byte AES key");
    let mac = digest.hmac(hmac_key, &ciphertext);
    (ciphertext, mac)
}

/// Verifies `expected_hmac` over `ciphertext` in constant time, then decrypts.
/// A length mismatch is a failure like any other.
pub fn open_ctr(
    data_key: &[u8],
    counter: &[u8; 16],
    ciphertext: &[u8],
    expected_hmac: &[u8],
    digest: Digest,
) -> Result<Zeroizing<Vec<u8>>, IntegrityFailure> {
    let (aes_key, hmac_key) = halves(data_key);
    let actual = digest.hmac(hmac_key, ciphertext);
    if !bool::from(actual.as_slice().ct_eq(expected_hmac)) {
        return Err(IntegrityFailure);
    }
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    ctr_apply(aes_key, counter, &mut plaintext)?;
    Ok(plaintext)
}

/// Random bytes from the OS (ring's SystemRandom: no extra dependency).
pub fn random<const N: usize>() -> [u8; N] {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new().fill(&mut out).expect("the OS random source failed");
    out
}

/// credsmash's `aes-gcm`: AES-256-GCM with a random 12-byte iv and no
/// associated data. Returns (iv, ciphertext, tag).
pub fn seal_gcm(key: &[u8], plaintext: &[u8]) -> ([u8; 12], Vec<u8>, [u8; 16]) {
    use aes_gcm::aead::Nonce;
    use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
    let cipher = Aes256Gcm::new_from_slice(key).expect("a 32-byte data key");
    let iv = random::<12>();
    let mut buffer = plaintext.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&Nonce::<Aes256Gcm>::from(iv), &[], buffer.as_mut_slice().into())
        .expect("GCM encrypts any message under 64 GiB");
    (iv, buffer, tag.into())
}

/// Opens an `aes-gcm` record; any change to iv, tag or contents fails.
pub fn open_gcm(
    key: &[u8],
    iv: &[u8; 12],
    ciphertext: &[u8],
    tag: &[u8; 16],
) -> Result<Zeroizing<Vec<u8>>, IntegrityFailure> {
    use aes_gcm::aead::{Nonce, Tag};
    use aes_gcm::{AeadInOut, Aes256Gcm, KeyInit};
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| IntegrityFailure)?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    cipher
        .decrypt_inout_detached(
            &Nonce::<Aes256Gcm>::from(*iv),
            &[],
            buffer.as_mut_slice().into(),
            &Tag::<Aes256Gcm>::from(*tag),
        )
        .map_err(|_| IntegrityFailure)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn vectors() -> serde_json::Value {
        let text = include_str!("../../tests/data/credstash-vectors.json");
        serde_json::from_str(text).unwrap()
    }

    fn data_key() -> Vec<u8> {
        (0u8..64).collect()
    }

    #[test]
    fn every_credstash_vector_seals_and_opens_identically() {
        let all = vectors();
        let vectors = all["vectors"].as_array().unwrap();
        assert_eq!(vectors.len(), 24);
        let b64 = base64::engine::general_purpose::STANDARD;
        for v in vectors {
            let plaintext = v["plaintext"].as_str().unwrap();
            let digest = Digest::parse(v["digest"].as_str().unwrap()).unwrap();
            let (contents, mac) = seal_ctr(&data_key(), &LEGACY_NONCE, plaintext.as_bytes(), digest);
            assert_eq!(b64.encode(&contents), v["contents"].as_str().unwrap(), "{plaintext:?} {digest:?}");
            assert_eq!(hex::encode(&mac), v["hmac_hex"].as_str().unwrap(), "{plaintext:?} {digest:?}");
            let stored = hex::decode(v["hmac_hex"].as_str().unwrap()).unwrap();
            let opened = open_ctr(&data_key(), &LEGACY_NONCE, &contents, &stored, digest).unwrap();
            assert_eq!(opened.as_slice(), plaintext.as_bytes());
        }
    }

    #[test]
    fn the_counter_is_128_bit_big_endian_past_the_first_block() {
        // A 32-bit little-endian counter (a known-wrong port) agrees on the
        // first block only; the vectors include >16-byte plaintexts, and this
        // pins the carry across the low 64 bits too.
        let mut counter = [0xffu8; 16];
        counter[0] = 0;
        let (a, _) = seal_ctr(&data_key(), &counter, &[0u8; 48], Digest::Sha256);
        let mut next = [0u8; 16];
        next[0] = 1;
        let (b, _) = seal_ctr(&data_key(), &next, &[0u8; 16], Digest::Sha256);
        assert_eq!(&a[16..32], &b[..], "block 2 uses counter + 1 with a carry into byte 0");
    }

    #[test]
    fn any_change_is_detected_before_decryption() {
        let (contents, mac) =
            seal_ctr(&data_key(), &LEGACY_NONCE, b"a secret longer than sixteen bytes", Digest::Sha256);
        let mut bad_contents = contents.clone();
        bad_contents[20] ^= 1;
        assert_eq!(open_ctr(&data_key(), &LEGACY_NONCE, &bad_contents, &mac, Digest::Sha256), Err(IntegrityFailure));
        let mut bad_mac = mac.clone();
        bad_mac[0] ^= 1;
        assert_eq!(open_ctr(&data_key(), &LEGACY_NONCE, &contents, &bad_mac, Digest::Sha256), Err(IntegrityFailure));
        assert_eq!(open_ctr(&data_key(), &LEGACY_NONCE, &contents, &mac[..31], Digest::Sha256), Err(IntegrityFailure));
        let mut other_key = data_key();
        other_key[40] ^= 1;
        assert_eq!(open_ctr(&other_key, &LEGACY_NONCE, &contents, &mac, Digest::Sha256), Err(IntegrityFailure));
        assert_eq!(open_ctr(&data_key(), &LEGACY_NONCE, &contents, &mac, Digest::Sha512), Err(IntegrityFailure));
    }

    #[test]
    fn gcm_round_trips_and_detects_any_change() {
        let key = [9u8; 32];
        let (iv, contents, tag) = seal_gcm(&key, b"binary \x00\xff secret");
        assert_eq!(open_gcm(&key, &iv, &contents, &tag).unwrap().as_slice(), b"binary \x00\xff secret");
        let mut bad_iv = iv;
        bad_iv[0] ^= 1;
        let mut bad_tag = tag;
        bad_tag[15] ^= 1;
        let mut bad_contents = contents.clone();
        bad_contents[0] ^= 1;
        assert!(open_gcm(&key, &bad_iv, &contents, &tag).is_err());
        assert!(open_gcm(&key, &iv, &contents, &bad_tag).is_err());
        assert!(open_gcm(&key, &iv, &bad_contents, &tag).is_err());
        assert!(open_gcm(&[8u8; 32], &iv, &contents, &tag).is_err());
        assert_ne!(seal_gcm(&key, b"x").0, seal_gcm(&key, b"x").0, "a fresh iv each time");
    }

    #[test]
    fn digest_names_round_trip_and_unsupported_ones_are_refused() {
        for name in Digest::NAMES {
            assert_eq!(Digest::parse(name).unwrap().name(), name);
        }
        for name in ["SHA1", "RIPEMD", "WHIRLPOOL", "MD4", "sha256", ""] {
            assert!(Digest::parse(name).is_none(), "{name}");
        }
    }
}
