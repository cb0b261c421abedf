#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = agentlock::fuzzing::client_config(data);
});
