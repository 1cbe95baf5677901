//! Builders for hand-made test files, shared by the integration tests.
#![allow(dead_code)] // each test file uses a different subset

/// The legacy torch magic-number pickle.
pub const MAGIC: &[u8] = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";

/// A legacy torch file around `main` (the pickle of the saved object), with no storages.
pub fn legacy(main: &[u8]) -> Vec<u8> {
    let mut file = MAGIC.to_vec();
    file.extend_from_slice(b"\x80\x02M\xe9\x03."); // protocol version 1001
    file.extend_from_slice(b"\x80\x02}."); // sys_info: an empty dict
    file.extend_from_slice(main);
    file.extend_from_slice(b"\x80\x02]."); // storage keys: none
    file
}

/// A zip archive of stored entries, laid out as `torch.save` does.
pub fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut file = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = file.len() as u32;
        let mut header = Vec::new();
        header.extend_from_slice(&[0; 16]); // versions, flags, method, time, date, crc
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(data.len() as u32).to_le_bytes());
        header.extend_from_slice(&(name.len() as u16).to_le_bytes());
        header.extend_from_slice(&0u16.to_le_bytes()); // extra
        file.extend_from_slice(b"PK\x03\x04");
        file.extend_from_slice(&header[2..]); // local header has no "version made by"
        file.extend_from_slice(name.as_bytes());
        file.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&header);
        central.extend_from_slice(&[0; 10]); // comment length, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let directory = file.len() as u32;
    file.extend_from_slice(&central);
    file.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    file.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    file.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    file.extend_from_slice(&(central.len() as u32).to_le_bytes());
    file.extend_from_slice(&directory.to_le_bytes());
    file.extend_from_slice(&0u16.to_le_bytes());
    file
}
