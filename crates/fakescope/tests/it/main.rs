//! End-to-end tests of the `fakescope` binary.

mod bench_cmd;
mod common;
mod eval_cmd;
mod models_cmd;
mod prepare_cmd;
mod scan_bad_input;
mod scan_faces;
mod scan_formats;
mod scan_report;
mod scan_speech;
mod serve_api;
mod serve_cluster;
mod serve_page;
mod train_cmd;
