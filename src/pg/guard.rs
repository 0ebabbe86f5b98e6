//! Watches the server's side of the startup exchange and refuses to answer a
//! password request the channel cannot protect.
//!
//! tokio-postgres answers a cleartext (auth 3) or MD5 (auth 5) request with
//! the password (or its hash) whatever the transport, and has no hook to say
//! no. So the bytes the client reads pass through a [`Watch`] first: when a
//! request arrives that the transport may not see (no TLS, or TLS whose
//! certificate was not verified, unless the database opted in with
//! `allow_insecure_password`), the read fails with [`InsecureAuth`] before
//! tokio-postgres has the whole message, so nothing is ever sent. SCRAM is
//! allowed everywhere (the password never crosses the wire), but when TLS is
//! in use and the server offers SCRAM-SHA-256-PLUS, channel binding must be
//! possible, or a relay could sit in the middle unseen.
//!
//! The parser is pure (bytes in, verdict out) and tested below; the stream
//! wrapper is a thin adapter. Watching stops at AuthenticationOk, or when the
//! server agrees to TLS (the watch continues inside the TLS stream).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The SASL mechanism with channel binding.
const SCRAM_PLUS: &[u8] = b"SCRAM-SHA-256-PLUS";
/// An authentication request body is a few dozen bytes; a SASL mechanism
/// list more than this is not a real server's.
const MAX_AUTH_BODY: usize = 4096;

/// Why the client refused to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsecureAuth {
    /// The server asked for the password in clear (auth 3) or as an MD5
    /// hash (auth 5) over a channel nobody verified.
    Password { md5: bool, transport: Transport },
    /// TLS is in use and the server offers SCRAM-SHA-256-PLUS, but the
    /// certificate's signature algorithm gives no channel-binding hash.
    NoChannelBinding,
}

/// What protects the bytes on the way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Plain,
    UnverifiedTls,
    VerifiedTls,
}

impl std::fmt::Display for InsecureAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InsecureAuth::Password { md5, transport } => {
                let what = if *md5 { "an MD5 hash of the password" } else { "the password in clear text" };
                let how = match transport {
                    Transport::Plain => "the connection is not encrypted",
                    _ => "the server's TLS certificate was not verified",
                };
                write!(
                    f,
                    "refused to log in: the server asked for {what}, but {how}, so anyone on the network path \
                     could be the one asking. Use sslmode = \"verify-full\" (with sslrootcert when the server's \
                     CA is private), or, if you accept that risk for this database, set \
                     allow_insecure_password = true in its config"
                )
            }
            InsecureAuth::NoChannelBinding => f.write_str(
                "refused to log in: the server offers SCRAM with channel binding, but its certificate's \
                 signature algorithm has no channel-binding hash, so the login could be relayed. Use a \
                 certificate signed with RSA or ECDSA over SHA-256/384/512",
            ),
        }
    }
}

impl std::error::Error for InsecureAuth {}

/// The pure parser of server messages during startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The next byte is the answer to our SSLRequest ('S' or 'N').
    SslAnswer,
    Messages,
    Done,
}

#[derive(Debug)]
pub struct Watch {
    transport: Transport,
    allow_insecure: bool,
    /// Whether the TLS session can give a channel-binding hash.
    binding: bool,
    phase: Phase,
    header: [u8; 5],
    have: usize,
    /// Bytes of the current message's body still to come.
    left: usize,
    /// The body of an authentication request, kept to read its code.
    body: Vec<u8>,
}

impl Watch {
    /// A watch on the raw socket: `ssl_requested` when an SSLRequest goes
    /// first (any sslmode but disable). When the server agrees to TLS the
    /// watch ends here; the bytes inside TLS get their own.
    pub fn plain(ssl_requested: bool, allow_insecure: bool) -> Watch {
        Watch::new(Transport::Plain, allow_insecure, false, ssl_requested)
    }

    /// A watch on the decrypted bytes of a TLS session.
    pub fn tls(verified: bool, allow_insecure: bool, binding: bool) -> Watch {
        let transport = if verified { Transport::VerifiedTls } else { Transport::UnverifiedTls };
        Watch::new(transport, allow_insecure, binding, false)
    }

    fn new(transport: Transport, allow_insecure: bool, binding: bool, ssl_answer: bool) -> Watch {
        Watch {
            transport,
            allow_insecure,
            binding,
            phase: if ssl_answer { Phase::SslAnswer } else { Phase::Messages },
            header: [0; 5],
            have: 0,
            left: 0,
            body: Vec::new(),
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Reads the next bytes from the server; an error means the client must
    /// not go on (the bytes are not to be handed over).
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<(), InsecureAuth> {
        while !bytes.is_empty() && self.phase != Phase::Done {
            if self.phase == Phase::SslAnswer {
                if bytes[0] == b'S' {
                    self.phase = Phase::Done; // TLS follows: encrypted bytes from here
                    return Ok(());
                }
                self.phase = Phase::Messages;
                bytes = &bytes[1..];
                continue;
            }
            if self.have < self.header.len() {
                let take = (self.header.len() - self.have).min(bytes.len());
                self.header[self.have..self.have + take].copy_from_slice(&bytes[..take]);
                self.have += take;
                bytes = &bytes[take..];
                if self.have == self.header.len() {
                    let len = u32::from_be_bytes([self.header[1], self.header[2], self.header[3], self.header[4]]);
                    self.left = (len as usize).saturating_sub(4);
                    self.body.clear();
                    if self.left == 0 {
                        self.message_end()?;
                    }
                }
                continue;
            }
            let take = self.left.min(bytes.len());
            if self.header[0] == b'R' && self.body.len() < MAX_AUTH_BODY {
                let keep = take.min(MAX_AUTH_BODY - self.body.len());
                self.body.extend_from_slice(&bytes[..keep]);
            }
            self.left -= take;
            bytes = &bytes[take..];
            // The decision is made as soon as the code is known, before the
            // message is complete (and so before tokio-postgres can act).
            if self.header[0] == b'R' && self.body.len() >= 4 {
                self.check_code()?;
            }
            if self.left == 0 {
                self.message_end()?;
            }
        }
        Ok(())
    }

    fn check_code(&mut self) -> Result<(), InsecureAuth> {
        let code = u32::from_be_bytes([self.body[0], self.body[1], self.body[2], self.body[3]]);
        let protected = self.transport == Transport::VerifiedTls || self.allow_insecure;
        match code {
            3 | 5 if !protected => Err(InsecureAuth::Password { md5: code == 5, transport: self.transport }),
            _ => Ok(()),
        }
    }

    fn message_end(&mut self) -> Result<(), InsecureAuth> {
        if self.header[0] == b'R' && self.body.len() >= 4 {
            let code = u32::from_be_bytes([self.body[0], self.body[1], self.body[2], self.body[3]]);
            match code {
                0 => self.phase = Phase::Done, // AuthenticationOk: nothing more to guard
                10 if self.transport != Transport::Plain
                    && !self.binding
                    && self.body[4..].split(|b| *b == 0).any(|m| m == SCRAM_PLUS) =>
                {
                    return Err(InsecureAuth::NoChannelBinding);
                }
                _ => {}
            }
        }
        self.have = 0;
        self.body.clear();
        Ok(())
    }
}

/// A stream whose incoming bytes pass through a [`Watch`] until it is done.
pub struct Guarded<S> {
    inner: S,
    watch: Option<Watch>,
    /// On shutdown, also read until the server closes (see [`Guarded::draining`]).
    drain: bool,
    shut: bool,
}

impl<S> Guarded<S> {
    pub fn new(inner: S, watch: Watch) -> Self {
        Guarded { inner, watch: Some(watch), drain: false, shut: false }
    }

    /// A socket for a CancelRequest: shutting it down waits until the server
    /// closes its end. PostgreSQL signals the cancelled backend before it
    /// closes, so after that the cancel has been delivered, not just sent.
    pub fn draining(inner: S) -> Self {
        Guarded { inner, watch: None, drain: true, shut: false }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Stops watching: the bytes that follow are TLS records.
    pub fn stop_watching(&mut self) {
        self.watch = None;
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        if let Some(watch) = &mut this.watch {
            if let Err(refused) = watch.feed(&buf.filled()[before..]) {
                buf.set_filled(before);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::PermissionDenied, refused)));
            }
            if watch.is_done() {
                this.watch = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if !this.shut {
            std::task::ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.shut = true;
        }
        if !this.drain {
            return Poll::Ready(Ok(()));
        }
        let mut scratch = [0u8; 256];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf)) {
                Ok(()) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Ok(()) => {}
                // A reset is the server going away too.
                Err(_) => return Poll::Ready(Ok(())),
            }
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The watch's refusal inside an error's chain of causes, if that is why.
pub fn refusal(e: &(dyn std::error::Error + 'static)) -> Option<InsecureAuth> {
    let mut source = Some(e);
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(refused) = inner.downcast_ref::<InsecureAuth>()
        {
            return Some(*refused);
        }
        if let Some(refused) = err.downcast_ref::<InsecureAuth>() {
            return Some(*refused);
        }
        source = err.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(code: u32, extra: &[u8]) -> Vec<u8> {
        let mut m = vec![b'R'];
        m.extend_from_slice(&u32::try_from(8 + extra.len()).unwrap().to_be_bytes());
        m.extend_from_slice(&code.to_be_bytes());
        m.extend_from_slice(extra);
        m
    }

    fn sasl(mechanisms: &[&str]) -> Vec<u8> {
        let mut list = Vec::new();
        for m in mechanisms {
            list.extend_from_slice(m.as_bytes());
            list.push(0);
        }
        list.push(0);
        auth(10, &list)
    }

    /// Feeds `bytes` one at a time, as a slow network would.
    fn trickle(watch: &mut Watch, bytes: &[u8]) -> Result<(), InsecureAuth> {
        bytes.iter().try_for_each(|b| watch.feed(std::slice::from_ref(b)))
    }

    #[test]
    fn cleartext_and_md5_are_refused_without_verified_tls() {
        for md5 in [false, true] {
            let request = if md5 { auth(5, b"salt") } else { auth(3, b"") };
            let mut after_n = Watch::plain(true, false);
            let mut bytes = vec![b'N'];
            bytes.extend_from_slice(&request);
            assert_eq!(after_n.feed(&bytes), Err(InsecureAuth::Password { md5, transport: Transport::Plain }));
            let mut unverified = Watch::tls(false, false, true);
            assert_eq!(
                trickle(&mut unverified, &request),
                Err(InsecureAuth::Password { md5, transport: Transport::UnverifiedTls })
            );
        }
    }

    #[test]
    fn the_refusal_comes_before_the_message_is_complete() {
        let request = auth(5, b"salt");
        let mut watch = Watch::tls(false, false, true);
        // Header plus the code: the salt (needed to answer) has not arrived.
        assert!(watch.feed(&request[..9]).is_err());
    }

    #[test]
    fn verified_tls_or_the_opt_in_allow_passwords() {
        let mut verified = Watch::tls(true, false, true);
        assert_eq!(verified.feed(&auth(3, b"")), Ok(()));
        let mut opted_in = Watch::plain(false, true);
        assert_eq!(opted_in.feed(&auth(5, b"salt")), Ok(()));
    }

    #[test]
    fn scram_is_allowed_and_plus_needs_a_binding() {
        let offer = sasl(&["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"]);
        assert_eq!(Watch::plain(false, false).feed(&sasl(&["SCRAM-SHA-256"])), Ok(()));
        assert_eq!(Watch::tls(false, false, true).feed(&offer), Ok(()));
        assert_eq!(trickle(&mut Watch::tls(true, false, false), &offer), Err(InsecureAuth::NoChannelBinding));
        assert_eq!(Watch::tls(true, false, false).feed(&sasl(&["SCRAM-SHA-256"])), Ok(()));
    }

    #[test]
    fn tls_agreement_and_authentication_ok_end_the_watch() {
        let mut watch = Watch::plain(true, false);
        assert_eq!(watch.feed(b"S\x16\x03\x03"), Ok(()));
        assert!(watch.is_done());
        let mut watch = Watch::plain(false, false);
        let mut bytes = auth(0, b"");
        bytes.extend_from_slice(&auth(3, b"")); // after login: not ours to judge
        assert_eq!(watch.feed(&bytes), Ok(()));
        assert!(watch.is_done());
    }

    #[test]
    fn other_messages_pass_and_odd_lengths_do_not_panic() {
        let mut watch = Watch::plain(false, false);
        let mut notice = vec![b'N', 0, 0, 0, 9];
        notice.extend_from_slice(b"hello");
        assert_eq!(trickle(&mut watch, &notice), Ok(()));
        for garbage in [&[b'R', 0, 0, 0, 0][..], &[b'R', 255, 255, 255, 255, 0, 0], &[b'R', 0, 0, 0, 2]] {
            let _ = Watch::plain(false, false).feed(garbage);
        }
    }

    #[test]
    fn the_refusal_is_found_in_an_error_chain_by_type() {
        let io = io::Error::new(io::ErrorKind::PermissionDenied, InsecureAuth::NoChannelBinding);
        assert_eq!(refusal(&io), Some(InsecureAuth::NoChannelBinding));
        assert_eq!(refusal(&io::Error::other("x")), None);
    }
}
