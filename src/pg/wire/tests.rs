use super::*;

fn num_bytes(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> Vec<u8> {
    let mut raw = Vec::new();
    raw.extend(ndigits.to_be_bytes());
    raw.extend(weight.to_be_bytes());
    raw.extend(sign.to_be_bytes());
    raw.extend(dscale.to_be_bytes());
    for d in digits {
        raw.extend(d.to_be_bytes());
    }
    raw
}

fn num(ndigits: i16, weight: i16, sign: u16, dscale: u16, digits: &[i16]) -> String {
    numeric(&num_bytes(ndigits, weight, sign, dscale, digits)).unwrap().to_text()
}

#[test]
fn numerics() {
    assert_eq!(num(2, 0, 0, 2, &[12, 3400]), "12.34");
    assert_eq!(num(1, 1, 0, 0, &[1]), "10000");
    assert_eq!(num(2, 1, 0x4000, 0, &[1, 2]), "-10002");
    assert_eq!(num(1, -1, 0, 4, &[5]), "0.0005");
    assert_eq!(num(1, -2, 0, 6, &[12]), "0.000000");
    assert_eq!(num(0, 0, 0, 3, &[]), "0.000");
    assert_eq!(num(0, 0, 0xC000, 0, &[]), "NaN");
    assert_eq!(num(0, 0, 0xD000, 0, &[]), "Infinity");
    assert_eq!(num(3, 0, 0, 10, &[1, 2345, 6789]), "1.2345678900");
    assert!(numeric(&num_bytes(3, 0, 0, 0, &[1])).is_err(), "digits past the end");
}

#[test]
fn numerics_scaled_for_decimal128() {
    let scaled = |raw: Vec<u8>, scale| numeric(&raw).unwrap().scaled(scale);
    assert_eq!(scaled(num_bytes(2, 0, 0, 2, &[12, 3400]), 2), Some(1234));
    assert_eq!(scaled(num_bytes(2, 0, 0, 2, &[12, 3400]), 4), Some(123_400));
    assert_eq!(scaled(num_bytes(2, 1, 0x4000, 0, &[1, 2]), 0), Some(-10002));
    assert_eq!(scaled(num_bytes(1, -1, 0, 4, &[5]), 4), Some(5));
    assert_eq!(scaled(num_bytes(1, -2, 0, 8, &[12]), 8), Some(12));
    assert_eq!(scaled(num_bytes(3, 0, 0, 10, &[1, 2345, 6789]), 6), Some(1_234_567));
    assert_eq!(scaled(num_bytes(0, 0, 0xC000, 0, &[]), 2), None);
    assert_eq!(scaled(num_bytes(1, 12, 0, 0, &[1]), 0), None, "10^48 is past i128");
}

#[test]
fn text_that_is_not_utf8_says_where_and_what_to_do() {
    let err = text(b"caf\xe9").unwrap_err();
    assert_eq!(err, Problem::NotUtf8 { at: 3 });
    let message = column_error("name", &err).to_string();
    assert!(message.contains("column \"name\"") && message.contains("SQL_ASCII"), "{message}");
    assert_eq!(json(b"\x01{}", true).unwrap(), "{}");
}

#[test]
fn kinds_resolve_domains_and_unknown_types() {
    let geometry = Type::new("geometry".into(), 99999, PgKind::Simple, "public".into());
    assert_eq!(Kind::of(&geometry), Kind::Other);
    assert_eq!(Kind::of(&Type::INT4_ARRAY), Kind::Array);
    assert_eq!(member(&Type::INT4_ARRAY), Some(&Type::INT4));
    let domain = Type::new("posint".into(), 99998, PgKind::Domain(Type::INT4), "public".into());
    assert_eq!(Kind::of(&domain), Kind::Int4);
}

#[test]
fn one_clamping_rule_and_calendar() {
    assert_eq!(civil(0), (2000, 1, 1));
    assert_eq!(civil(FIRST_DAY.into()), (1, 1, 1));
    assert_eq!(civil(LAST_DAY.into()), (9999, 12, 31));
    assert_eq!(civil(-1), (1999, 12, 31));
    assert_eq!(clamp_days(i32::MAX), LAST_DAY);
    assert_eq!(clamp_days(i32::MIN), FIRST_DAY);
    assert_eq!(clamp_micros(i64::MAX), (i64::from(LAST_DAY) + 1) * MICROS_PER_DAY - 1);
    assert_eq!(clock(clamp_micros(i64::MAX).rem_euclid(MICROS_PER_DAY)), (23, 59, 59, 999_999));
    assert_eq!(PG_EPOCH_UNIX_MICROS, 946_684_800_000_000);
}

fn array_bytes(dims: &[i32], elements: &[Option<&[u8]>]) -> Vec<u8> {
    let mut raw = Vec::new();
    raw.extend(i32::try_from(dims.len()).unwrap().to_be_bytes());
    raw.extend(0i32.to_be_bytes()); // no NULL bitmap flag needed here
    raw.extend(Type::INT4.oid().to_be_bytes());
    for d in dims {
        raw.extend(d.to_be_bytes());
        raw.extend(1i32.to_be_bytes()); // lower bound
    }
    for e in elements {
        match e {
            None => raw.extend((-1i32).to_be_bytes()),
            Some(b) => {
                raw.extend(i32::try_from(b.len()).unwrap().to_be_bytes());
                raw.extend(*b);
            }
        }
    }
    raw
}

#[test]
fn hostile_array_headers_are_errors_not_aborts() {
    let one = 1i32.to_be_bytes();
    // 65536^3 elements claimed by a 36-byte value; products that overflow;
    // more dimensions than PostgreSQL has; lengths past the end.
    let cases = [
        array_bytes(&[65536, 65536, 65536], &[Some(&one)]),
        array_bytes(&[i32::MAX, i32::MAX, i32::MAX, i32::MAX], &[]),
        array_bytes(&[1; 7], &[Some(&one)]),
        array_bytes(&[3], &[Some(&one)]),
        array_bytes(&[-1], &[]),
    ];
    for raw in &cases {
        assert!(array(raw).is_err(), "{raw:?}");
    }
    assert!(array(&array_bytes(&[i32::MAX, 0], &[])).unwrap().elements.is_empty());
    let mut lying = array_bytes(&[1], &[]);
    lying.extend(i32::MAX.to_be_bytes());
    assert!(array(&lying).is_err());
    let bytes = array_bytes(&[2], &[Some(&one), None]);
    let two = array(&bytes).unwrap();
    assert_eq!((two.dims, two.elements), (vec![2], vec![Some(&one[..]), None]));
}

#[test]
fn money_and_inet() {
    assert_eq!(money(&(-12345i64).to_be_bytes()).unwrap(), "-123.45");
    assert_eq!(inet(&[2, 32, 0, 4, 127, 0, 0, 1], false).unwrap(), "127.0.0.1");
    assert_eq!(inet(&[2, 8, 1, 4, 10, 0, 0, 0], true).unwrap(), "10.0.0.0/8");
}
