//! The Cadence templates the original signs (data, not code): the template literals of
//! `@tatumio/tatum` 1.37.56 `src/transaction/flowTransaction/index.ts` (identical on the v1
//! branch up to 1.37.68), copied byte for byte with each `${…}` expression replaced by a
//! named placeholder:
//!
//! - `${TatumMultiNFT}`, `${FungibleToken}`, `${FUSD}`: `testnet ? FLOW_TESTNET_ADDRESSES.X :
//!   FLOW_MAINNET_ADDRESSES.X` (`src/constants.ts`);
//! - `${tokenName}`, `${tokenAddress}`, `${tokenStorage}`: the TRANSFER parameters.
//!
//! The originals are tagged with `dedent` (dedent-js 1.0.1); [`render`] applies the same
//! steps to the literal parts, so the rendered text is what the original puts in the
//! transaction (and signs). Do not reformat this file's string constants.

/// `mintFlowNftTokenTxTemplate`
pub(crate) const MINT_NFT: &str = r#"
import TatumMultiNFT from ${TatumMultiNFT}

transaction(recipient: Address, url: String, type: String) {

    // local variable for storing the minter reference
    let minter: &TatumMultiNFT.NFTMinter

    prepare(signer: AuthAccount) {

        // borrow a reference to the NFTMinter resource in storage
        self.minter = signer.borrow<&TatumMultiNFT.NFTMinter>(from: TatumMultiNFT.MinterStoragePath)
            ?? panic("Could not borrow a reference to the NFT minter")
    }

    execute {
        // get the public account object for the recipient
        let recipientAccount = getAccount(recipient)

        // borrow the recipient's public NFT collection reference
        let receiver = recipientAccount
            .getCapability(TatumMultiNFT.CollectionPublicPath)
            .borrow<&TatumMultiNFT.Collection>()
            ?? panic("Could not get receiver reference to the NFT Collection")

        // mint the NFT and deposit it to the recipient's collection
        self.minter.mintNFT(recipient: receiver, type: type, url: url, address: recipient)
    }
}"#;

/// `mintFlowMultipleNftTokenTxTemplate`
pub(crate) const MINT_MULTIPLE_NFT: &str = r#"
import TatumMultiNFT from ${TatumMultiNFT}

transaction(recipient: [Address], url: [String], type: String) {

    // local variable for storing the minter reference
    let minter: &TatumMultiNFT.NFTMinter

    prepare(signer: AuthAccount) {

        // borrow a reference to the NFTMinter resource in storage
        self.minter = signer.borrow<&TatumMultiNFT.NFTMinter>(from: TatumMultiNFT.MinterStoragePath)
            ?? panic("Could not borrow a reference to the NFT minter")
    }

    execute {
        var a = 0;
        while a < url.length {
        // get the public account object for the recipient
        let recipientAccount = getAccount(recipient[a])

        // borrow the recipient's public NFT collection reference
        let receiver = recipientAccount
            .getCapability(TatumMultiNFT.CollectionPublicPath)
            .borrow<&TatumMultiNFT.Collection>()
            ?? panic("Could not get receiver reference to the NFT Collection")

        // mint the NFT and deposit it to the recipient's collection
            self.minter.mintNFT(recipient: receiver, type: type, url: url[a], address: recipient[a])
            a = a + 1
        }
    }
}"#;

/// `burnFlowNftTokenTxTemplate`
pub(crate) const BURN_NFT: &str = r#"
import TatumMultiNFT from ${TatumMultiNFT}

transaction(withdrawID: UInt64, type: String) {

    // local variable for storing the minter reference
    let senderCollection: &TatumMultiNFT.Collection

    prepare(signer: AuthAccount) {

        // borrow a reference to the signer's NFT collection
        self.senderCollection = signer.borrow<&TatumMultiNFT.Collection>(from: TatumMultiNFT.CollectionStoragePath)
            ?? panic("Could not borrow a reference to the owner's collection")

        // check if token has correct type
        self.senderCollection.borrowTatumNFT(id: withdrawID, type: type)
    }

    execute {
        // withdraw the NFT from the owner's collection
        let nft <- self.senderCollection.withdraw(withdrawID: withdrawID)

        // Destroy the nft
        destroy nft
    }
}"#;

/// `transferFlowNftTokenTxTemplate`
pub(crate) const TRANSFER_NFT: &str = r#"
import TatumMultiNFT from ${TatumMultiNFT}

transaction(recipient: Address, withdrawID: UInt64) {

    // local variable for storing the minter reference
    let senderCollection: &TatumMultiNFT.Collection

    prepare(signer: AuthAccount) {

        // borrow a reference to the signer's NFT collection
        self.senderCollection = signer.borrow<&TatumMultiNFT.Collection>(from: TatumMultiNFT.CollectionStoragePath)
            ?? panic("Could not borrow a reference to the owner's collection")

    }

    execute {
        // get the recipients public account object
        let recipient = getAccount(recipient)

        // borrow a public reference to the receivers collection
        let depositRef = recipient.getCapability(TatumMultiNFT.CollectionPublicPath).borrow<&TatumMultiNFT.Collection>()!

        // withdraw the NFT from the owner's collection
        let nft <- self.senderCollection.withdraw(withdrawID: withdrawID)

        // Deposit the NFT in the recipient's collection
        depositRef.deposit(token: <-nft)
    }
}"#;

/// `prepareAddPublicKeyToAccountTxTemplate`
pub(crate) const ADD_PUBLIC_KEY: &str = r#"transaction(publicKey: String) {
prepare(signer: AuthAccount) {
signer.addPublicKey(publicKey.decodeHex())
}
}"#;

/// `prepareTransferFlowTxTemplate`
pub(crate) const TRANSFER: &str = r#"import FungibleToken from ${FungibleToken}
  import ${tokenName} from ${tokenAddress}

transaction(amount: UFix64, recipient: Address) {
  let sentVault: @FungibleToken.Vault
  prepare(signer: AuthAccount) {
    let vaultRef = signer.borrow<&${tokenName}.Vault>(from: /storage/${tokenStorage}Vault)
      ?? panic("failed to borrow reference to sender vault")

    self.sentVault <- vaultRef.withdraw(amount: amount)
  }

  execute {
    let receiverRef =  getAccount(recipient)
      .getCapability(/public/${tokenStorage}Receiver)
      .borrow<&{FungibleToken.Receiver}>()
        ?? panic("failed to borrow reference to recipient vault")

    receiverRef.deposit(from: <-self.sentVault)
  }
}"#;

/// `prepareCreateAccountWithFUSDFromPublicKeyTxTemplate`
pub(crate) const CREATE_ACCOUNT: &str = r#"import FungibleToken from ${FungibleToken}
  import FUSD from ${FUSD}
  import TatumMultiNFT from ${TatumMultiNFT}
  transaction(publicKey: String) {
    let account: AuthAccount
    prepare(signer: AuthAccount) {
      self.account = AuthAccount(payer: signer)
    }
    execute {
      self.account.addPublicKey(publicKey.decodeHex())
      if self.account.borrow<&TatumMultiNFT.Collection>(from: TatumMultiNFT.CollectionStoragePath) == nil {

            // create a new empty collection
            let collection <- TatumMultiNFT.createEmptyCollection()

            // save it to the account
            self.account.save(<-collection, to: TatumMultiNFT.CollectionStoragePath)

            // create a public capability for the collection
            self.account.link<&TatumMultiNFT.Collection>(TatumMultiNFT.CollectionPublicPath, target: TatumMultiNFT.CollectionStoragePath)
        }
      // Add FUSD vault
      self.account.save(<-FUSD.createEmptyVault(), to: /storage/fusdVault)
      self.account.link<&FUSD.Vault{FungibleToken.Receiver}>(
          /public/fusdReceiver,
          target: /storage/fusdVault
      )
      self.account.link<&FUSD.Vault{FungibleToken.Balance}>(
          /public/fusdBalance,
          target: /storage/fusdVault
      )
    }
  }
  "#;

/// FLOW testnet contract addresses (`FLOW_TESTNET_ADDRESSES`).
pub(crate) const TESTNET: Addresses = Addresses {
    flow_token: "0x7e60df042a9c0868",
    fungible_token: "0x9a0766d93b6608b7",
    fusd: "0xe223d8a629e49c68",
    tatum_multi_nft: "0x87fe4ebd0cddde06",
};

/// FLOW mainnet contract addresses (`FLOW_MAINNET_ADDRESSES`).
pub(crate) const MAINNET: Addresses = Addresses {
    flow_token: "0x1654653399040a61",
    fungible_token: "0xf233dcee88fe0abe",
    fusd: "0x3c5959b568896393",
    tatum_multi_nft: "0x354e6721564ccd2c",
};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Addresses {
    pub flow_token: &'static str,
    pub fungible_token: &'static str,
    pub fusd: &'static str,
    pub tatum_multi_nft: &'static str,
}

impl Addresses {
    pub(crate) fn of(testnet: bool) -> Self {
        if testnet {
            TESTNET
        } else {
            MAINNET
        }
    }
}

/// Renders a template as the original's tagged literal does: the literal parts (the text
/// between placeholders) go through dedent-js 1.0.1, then the values are put in.
///
/// dedent-js: (1) drop a final line break and the spaces or tabs after it from the last
/// part; (2) the common indentation is the shortest run of spaces or tabs that follows a
/// line break in any part (line breaks followed by no indentation do not count);
/// (3) remove that many indentation characters after every line break; (4) drop one line
/// break at the very start. An unknown placeholder name is an error.
pub(crate) fn render(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut parts: Vec<String> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        parts.push(rest[..start].to_string());
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| "unterminated placeholder in a FLOW template".to_string())?;
        names.push(&after[..end]);
        rest = &after[end + 1..];
    }
    parts.push(rest.to_string());

    // 1. Trailing line break and indentation of the last part.
    if let Some(last) = parts.last_mut() {
        let trimmed_len = last.trim_end_matches([' ', '\t']).len();
        if last[..trimmed_len].ends_with('\n') {
            let mut cut = trimmed_len - 1;
            if last[..cut].ends_with('\r') {
                cut -= 1;
            }
            last.truncate(cut);
        }
    }
    // 2. Shortest indentation after a line break.
    let mut size: Option<usize> = None;
    for part in &parts {
        for (i, _) in part.match_indices('\n') {
            let run = part[i + 1..]
                .bytes()
                .take_while(|b| *b == b' ' || *b == b'\t')
                .count();
            if run > 0 {
                size = Some(size.map_or(run, |s| s.min(run)));
            }
        }
    }
    // 3. Remove it after every line break that has at least that much.
    if let Some(size) = size {
        for part in parts.iter_mut() {
            let mut out = String::with_capacity(part.len());
            let mut rest = part.as_str();
            while let Some(i) = rest.find('\n') {
                out.push_str(&rest[..=i]);
                rest = &rest[i + 1..];
                let run = rest
                    .bytes()
                    .take(size)
                    .take_while(|b| *b == b' ' || *b == b'\t')
                    .count();
                if run == size {
                    rest = &rest[size..];
                }
            }
            out.push_str(rest);
            *part = out;
        }
    }
    // 4. One leading line break.
    if let Some(first) = parts.first_mut() {
        if first.starts_with("\r\n") {
            first.drain(..2);
        } else if first.starts_with('\n') {
            first.drain(..1);
        }
    }
    // 5. Interpolation.
    let mut out = parts[0].clone();
    for (name, part) in names.iter().zip(parts.iter().skip(1)) {
        let value = values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| format!("no value for the FLOW template placeholder {name}"))?;
        out.push_str(value);
        out.push_str(part);
    }
    Ok(out)
}
