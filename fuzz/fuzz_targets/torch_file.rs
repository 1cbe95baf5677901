//! Whole files (zip, legacy torch, safetensors, anything) through `StateDict::load_bytes`.
#![no_main]

use fakescope_weights::StateDict;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = fakescope_weights::fuzzing::fuzz_limits();
    if let Ok(sd) = StateDict::load_bytes_with_limits("fuzz.pth", data, &limits) {
        for t in sd.tensors.values() {
            assert_eq!(t.data.len(), t.shape.iter().product::<usize>());
        }
    }
});
