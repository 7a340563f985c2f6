//! The kernel's `\NNN` octal escapes in mountinfo paths and names.

use std::borrow::Cow;

/// Decodes valid three-digit octal escapes (`\040` is a space); anything else, including
/// a backslash not followed by three octal digits or a value above `\377`, is kept as it
/// is. Borrows when there is nothing to decode.
///
/// ```
/// use cvmfs_core::mountinfo::decode;
/// assert_eq!(&*decode(b"/a\\040b"), b"/a b");
/// assert_eq!(&*decode(b"/a\\9b"), b"/a\\9b");
/// ```
pub fn decode(field: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', field).is_none() {
        return Cow::Borrowed(field);
    }
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        if field[i] == b'\\'
            && let Some(value) = field.get(i + 1..i + 4).and_then(octal_byte)
        {
            out.push(value);
            i += 4;
            continue;
        }
        out.push(field[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Decodes like [`decode`], writing the result over the start of `field` (it is never
/// longer than the input); returns the decoded length.
///
/// ```
/// use cvmfs_core::mountinfo::decode_in_place;
/// let mut field = *b"/a\\040b";
/// let len = decode_in_place(&mut field);
/// assert_eq!(&field[..len], b"/a b");
/// ```
pub fn decode_in_place(field: &mut [u8]) -> usize {
    let (mut read, mut write) = (0, 0);
    while read < field.len() {
        let escaped = match field[read] {
            b'\\' => field.get(read + 1..read + 4).and_then(octal_byte),
            _ => None,
        };
        match escaped {
            Some(value) => {
                field[write] = value;
                read += 4;
            }
            None => {
                field[write] = field[read];
                read += 1;
            }
        }
        write += 1;
    }
    write
}

fn octal_byte(digits: &[u8]) -> Option<u8> {
    let mut value: u16 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        value = value * 8 + u16::from(d - b'0');
    }
    u8::try_from(value).ok()
}

/// Escapes space, tab, newline, backslash and `#` the way the kernel does.
pub fn encode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    for &b in raw {
        if matches!(b, b' ' | b'\t' | b'\n' | b'\\' | b'#') {
            out.extend_from_slice(format!("\\{b:03o}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_only_valid_sequences() {
        assert!(matches!(decode(b"/plain"), Cow::Borrowed(_)));
        assert_eq!(&*decode(b"\\011\\012\\134\\043"), b"\t\n\\#");
        assert_eq!(&*decode(b"\\400"), b"\\400");
        assert_eq!(&*decode(b"end\\04"), b"end\\04");
        assert_eq!(&*decode(b"\\\\040"), b"\\ ");
        assert_eq!(&*decode(b"\\377"), [0xff]);
    }

    proptest! {
        #[test]
        fn decoding_in_place_matches_decoding(field in proptest::collection::vec(
            prop_oneof![Just(b'\\'), Just(b'0'), Just(b'4'), Just(b'7'), Just(b'8'), any::<u8>()],
            0..48,
        )) {
            let mut copy = field.clone();
            let len = decode_in_place(&mut copy);
            prop_assert_eq!(&copy[..len], &*decode(&field));
        }

        #[test]
        fn encode_decode_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..64)) {
            let encoded = encode(&raw);
            prop_assert!(!encoded.contains(&b' ') && !encoded.contains(&b'\n'));
            prop_assert_eq!(decode(&encoded).into_owned(), raw);
        }
    }
}
