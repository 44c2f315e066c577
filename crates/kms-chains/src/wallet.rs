use std::fmt;

use zeroize::Zeroizing;

/// A wallet as the original's SDK returns it: named string fields in the SDK's order
/// (e.g. BTC `mnemonic, xpub`; ETH `xpub, mnemonic`; XRP `address, secret`).
#[derive(Clone, Default)]
pub struct GeneratedWallet {
    fields: Vec<(&'static str, Zeroizing<String>)>,
}

impl GeneratedWallet {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.fields.push((name, Zeroizing::new(value.into())));
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields in order; the values include secrets.
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.fields.iter().map(|(n, v)| (*n, v.as_str()))
    }
}

impl fmt::Debug for GeneratedWallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(n, _)| *n).collect();
        f.debug_struct("GeneratedWallet")
            .field("fields", &names)
            .finish()
    }
}
