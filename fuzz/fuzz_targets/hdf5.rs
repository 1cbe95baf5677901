//! HDF5 files (Keras `.h5` weights) through `StateDict::load_bytes_with_limits`.
#![no_main]

use fakescope_weights::StateDict;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = fakescope_weights::fuzzing::fuzz_limits();
    // Inputs that do not start with the HDF5 signature would only exercise the other readers.
    let mut bytes = b"\x89HDF\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(data.get(8..).unwrap_or_default());
    if let Ok(sd) = StateDict::load_bytes_with_limits("fuzz.h5", &bytes, &limits) {
        for t in sd.tensors.values() {
            assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
        }
    }
});
