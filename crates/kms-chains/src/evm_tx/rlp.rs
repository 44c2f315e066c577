//! RLP items, encoded with `alloy-rlp`.

use alloy_rlp::{Encodable, Header};

pub(crate) enum Item {
    Bytes(Vec<u8>),
    List(Vec<Item>),
}

impl Item {
    pub(crate) fn bytes(b: &[u8]) -> Self {
        Item::Bytes(b.to_vec())
    }

    fn payload_length(items: &[Item]) -> usize {
        items.iter().map(Item::length).sum()
    }

    fn length(&self) -> usize {
        match self {
            Item::Bytes(b) => b.as_slice().length(),
            Item::List(items) => {
                let payload_length = Self::payload_length(items);
                Header {
                    list: true,
                    payload_length,
                }
                .length()
                    + payload_length
            }
        }
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Item::Bytes(b) => b.as_slice().encode(out),
            Item::List(items) => {
                Header {
                    list: true,
                    payload_length: Self::payload_length(items),
                }
                .encode(out);
                for item in items {
                    item.encode_into(out);
                }
            }
        }
    }
}

/// The RLP of a list of items.
pub(crate) fn encode_list(items: Vec<Item>) -> Vec<u8> {
    let item = Item::List(items);
    let mut out = Vec::with_capacity(item.length());
    item.encode_into(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of the Ethereum wiki's RLP page.
    #[test]
    fn known_encodings() {
        assert_eq!(
            encode_list(vec![Item::bytes(b"cat"), Item::bytes(b"dog")]),
            hex::decode("c88363617483646f67").unwrap()
        );
        assert_eq!(encode_list(vec![]), vec![0xc0]);
        assert_eq!(
            encode_list(vec![
                Item::bytes(&[]),
                Item::bytes(&[0x0f]),
                Item::bytes(&[0x04, 0x00])
            ]),
            hex::decode("c5800f820400").unwrap()
        );
        // [ [], [[]], [ [], [[]] ] ]
        let set = encode_list(vec![
            Item::List(vec![]),
            Item::List(vec![Item::List(vec![])]),
            Item::List(vec![
                Item::List(vec![]),
                Item::List(vec![Item::List(vec![])]),
            ]),
        ]);
        assert_eq!(set, hex::decode("c7c0c1c0c3c0c1c0").unwrap());
        let long = vec![b'a'; 56];
        let enc = encode_list(vec![Item::bytes(&long)]);
        assert_eq!(&enc[..3], &[0xf8, 58, 0xb8]);
    }
}
