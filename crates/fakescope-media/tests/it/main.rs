//! Integration tests of fakescope-media. Fixtures are generated in temporary directories; those
//! that need the system `ffmpeg` print "skipped: ..." when it is missing.

mod audio;
mod bad_input;
mod fixtures;
mod images;
mod speed;
