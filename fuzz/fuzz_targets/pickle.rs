//! Raw pickle bytes through the non-executing unpickler and the tensor selection.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fakescope_weights::fuzzing::unpickle(data);
});
