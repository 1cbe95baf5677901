//! Text files read in big blocks of whole lines, so that blocks can be parsed in parallel.
//!
//! A [`TextFile`] hands out [`Block`]s of about [`BLOCK_BYTES`] that always end at a newline (or
//! at the end of the file) and know the number of their first line, so a parser working on one
//! block can name the exact line of an error. A UTF-8 byte order mark is dropped, `\r\n` line
//! ends are accepted, and blank lines are skipped everywhere.
//!
//! [`par_blocks`] parses blocks on the rayon pool while the next blocks are being read, and
//! hands the results back in file order.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::InputError;

/// Bytes read per block. Large enough that per-block overhead vanishes, small enough that a few
/// blocks in flight per thread cost little memory.
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// A text file being read block by block.
pub(crate) struct TextFile {
    path: PathBuf,
    file: File,
    /// Bytes read from the file and not yet handed out; `buf[start..]` is pending.
    buf: Vec<u8>,
    start: usize,
    /// Number (1-based) of the line that begins at `buf[start]`.
    line: u64,
    eof: bool,
    at_beginning: bool,
}

/// Whole lines of a file, as UTF-8 text.
pub(crate) struct Block {
    /// The lines, each ending with `\n` except perhaps the last line of the file.
    pub text: String,
    /// Number (1-based) of the first line of `text`.
    pub first_line: u64,
    /// Number of `\n` in `text` (so at most this many + 1 lines).
    pub newlines: u64,
}

impl Block {
    /// The non-blank lines with their 1-based numbers, without their line ends.
    pub(crate) fn lines(&self) -> impl Iterator<Item = (u64, &str)> {
        self.text
            .split('\n')
            .enumerate()
            .map(|(i, line)| {
                (
                    self.first_line + i as u64,
                    line.strip_suffix('\r').unwrap_or(line),
                )
            })
            .filter(|(_, line)| !line.trim_ascii().is_empty())
    }
}

impl TextFile {
    /// Opens `path` for reading.
    pub(crate) fn open(path: &Path) -> Result<Self, InputError> {
        let file = File::open(path).map_err(|source| InputError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(TextFile {
            path: path.to_path_buf(),
            file,
            buf: Vec::new(),
            start: 0,
            line: 1,
            eof: false,
            at_beginning: true,
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The first non-blank line and its number, without consuming it; `None` for a file with no
    /// text. Blank lines before it are consumed.
    pub(crate) fn peek_first_line(&mut self) -> Result<Option<(u64, String)>, InputError> {
        loop {
            let pending = &self.buf[self.start..];
            match pending.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    let raw = &pending[..end];
                    let text = self.utf8_line(raw)?;
                    if text.trim_ascii().is_empty() {
                        self.start += end + 1;
                        self.line += 1;
                        continue;
                    }
                    return Ok(Some((self.line, text)));
                }
                None if self.eof => {
                    let text = self.utf8_line(pending)?;
                    return Ok((!text.trim_ascii().is_empty()).then_some((self.line, text)));
                }
                None => self.fill()?,
            }
        }
    }

    /// Consumes the line returned by [`peek_first_line`](Self::peek_first_line) (a header).
    pub(crate) fn consume_first_line(&mut self) -> Result<(), InputError> {
        if self.peek_first_line()?.is_some() {
            let pending = &self.buf[self.start..];
            let end = pending
                .iter()
                .position(|&b| b == b'\n')
                .map_or(pending.len(), |e| e + 1);
            self.start += end;
            self.line += 1;
        }
        Ok(())
    }

    /// The next block of whole lines, `None` at the end of the file.
    pub(crate) fn next_block(&mut self) -> Result<Option<Block>, InputError> {
        self.compact();
        while !self.eof && self.buf.len() < BLOCK_BYTES {
            self.fill()?;
        }
        let cut = loop {
            if let Some(last) = self.buf.iter().rposition(|&b| b == b'\n') {
                break last + 1;
            }
            if self.eof {
                break self.buf.len();
            }
            self.fill()?; // one line longer than a block
        };
        if cut == 0 {
            return Ok(None);
        }
        let rest = self.buf.split_off(cut);
        let bytes = std::mem::replace(&mut self.buf, rest);
        let first_line = self.line;
        let newlines = count_newlines(&bytes);
        self.line += newlines;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(Block {
                text,
                first_line,
                newlines,
            })),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let line = first_line + count_newlines(&e.as_bytes()[..valid]);
                Err(self.not_utf8(line))
            }
        }
    }

    /// Reads up to one more block of bytes.
    fn fill(&mut self) -> Result<(), InputError> {
        let before = self.buf.len();
        (&mut self.file)
            .take(BLOCK_BYTES as u64)
            .read_to_end(&mut self.buf)
            .map_err(|source| InputError::Io {
                path: self.path.clone(),
                source,
            })?;
        let read = self.buf.len() - before;
        if read < BLOCK_BYTES {
            self.eof = true;
        }
        if self.at_beginning && (self.buf.len() >= 3 || self.eof) {
            if self.buf.starts_with(b"\xEF\xBB\xBF") {
                self.start += 3;
            }
            self.at_beginning = false;
        }
        Ok(())
    }

    /// Drops the bytes already handed out.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
    }

    fn utf8_line(&self, raw: &[u8]) -> Result<String, InputError> {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        String::from_utf8(raw.to_vec()).map_err(|_| self.not_utf8(self.line))
    }

    fn not_utf8(&self, line: u64) -> InputError {
        InputError::Line {
            path: self.path.clone(),
            line,
            message: "not UTF-8 text".to_string(),
        }
    }
}

/// Number of `\n` bytes. Counting into a byte per chunk of 255 lets the compiler vectorise.
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(255)
        .map(|chunk| u64::from(chunk.iter().map(|&b| u8::from(b == b'\n')).sum::<u8>()))
        .sum()
}

/// Parses every remaining block of `file` with `parse` on the rayon pool, reading ahead while it
/// works, and gives the results to `sink` in file order. Stops at the first error.
pub(crate) fn par_blocks<T, P, S>(
    file: &mut TextFile,
    parse: P,
    mut sink: S,
) -> Result<(), InputError>
where
    T: Send,
    P: Fn(&Block) -> Result<T, InputError> + Sync,
    S: FnMut(T) -> Result<(), InputError>,
{
    let per_batch = 2 * rayon::current_num_threads().max(1);
    let read_batch = |file: &mut TextFile| -> Result<Vec<Block>, InputError> {
        let mut batch = Vec::with_capacity(per_batch);
        while batch.len() < per_batch {
            match file.next_block()? {
                Some(block) => batch.push(block),
                None => break,
            }
        }
        Ok(batch)
    };
    let mut batch = read_batch(file)?;
    while !batch.is_empty() {
        let (next, parsed) = rayon::join(
            || read_batch(file),
            || batch.par_iter().map(&parse).collect::<Vec<_>>(),
        );
        for result in parsed {
            sink(result?)?;
        }
        batch = next?;
    }
    Ok(())
}
