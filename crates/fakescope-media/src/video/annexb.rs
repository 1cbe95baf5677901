//! AVCC → Annex B: the byte-stream form an H.264 decoder reads.
//!
//! MP4 stores each H.264 access unit as NAL units prefixed by their length (1, 2 or 4 bytes, big
//! endian; the size is `lengthSizeMinusOne + 1` from the `avcC` box), and keeps the SPS and PPS
//! parameter sets out of band in `avcC`. A decoder such as OpenH264 wants Annex B instead: every
//! NAL unit preceded by the start code `00 00 00 01`, with the parameter sets in the stream before
//! the first IDR picture. [`AnnexB`] does that conversion, sample by sample, without trusting the
//! length fields.

/// The Annex B start code written before every NAL unit.
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// NAL unit type of an IDR slice (`nal_unit_type` 5, the low five bits of the header byte).
const NAL_IDR: u8 = 5;

/// What went wrong in one sample, counted rather than fatal: the sample's readable NAL units are
/// still converted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SampleDamage {
    /// NAL units of length zero (skipped).
    pub(crate) empty_nals: usize,
    /// A length field ran past the end of the sample, or the sample ended inside a length field:
    /// the rest of the sample was dropped.
    pub(crate) truncated: bool,
}

/// Converts length-prefixed samples to Annex B, inserting the `avcC` parameter sets before the
/// first IDR picture.
#[derive(Debug, Clone)]
pub(crate) struct AnnexB {
    length_size: usize,
    /// SPS then PPS NAL units, already with start codes.
    parameter_sets: Vec<u8>,
    parameter_sets_sent: bool,
}

impl AnnexB {
    /// A converter for NAL length fields of `length_size` bytes (1, 2 or 4; `None` otherwise)
    /// and the given SPS and PPS NAL units (empty ones are ignored).
    pub(crate) fn new(length_size: usize, sps: &[&[u8]], pps: &[&[u8]]) -> Option<AnnexB> {
        if !matches!(length_size, 1 | 2 | 4) {
            return None;
        }
        let mut parameter_sets = Vec::new();
        for nal in sps.iter().chain(pps).filter(|n| !n.is_empty()) {
            parameter_sets.extend_from_slice(&START_CODE);
            parameter_sets.extend_from_slice(nal);
        }
        Some(AnnexB {
            length_size,
            parameter_sets,
            parameter_sets_sent: false,
        })
    }

    /// Whether the length-prefixed `sample` holds an IDR slice (a closed-GOP key frame, where a
    /// fresh decoder can start).
    pub(crate) fn has_idr(&self, sample: &[u8]) -> bool {
        let mut rest = sample;
        while let Some(len_bytes) = rest.get(..self.length_size) {
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            rest = rest.get(self.length_size..).unwrap_or_default();
            let (Some(nal), Some(next)) = (rest.get(..len), rest.get(len..)) else {
                return false;
            };
            if nal.first().is_some_and(|h| h & 0x1F == NAL_IDR) {
                return true;
            }
            rest = next;
        }
        false
    }

    /// A converter in its initial state (parameter sets not yet sent), for a decoder restarted
    /// at a key frame.
    pub(crate) fn restarted(&self) -> AnnexB {
        AnnexB {
            parameter_sets_sent: false,
            ..self.clone()
        }
    }

    /// Converts one sample into `out` (cleared first) and reports the damage found. Never
    /// panics: lengths are checked against the sample before any slice is taken.
    pub(crate) fn convert(&mut self, sample: &[u8], out: &mut Vec<u8>) -> SampleDamage {
        out.clear();
        let mut damage = SampleDamage::default();
        let mut rest = sample;
        while !rest.is_empty() {
            let Some(len_bytes) = rest.get(..self.length_size) else {
                damage.truncated = true;
                break;
            };
            let len = len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            rest = rest.get(self.length_size..).unwrap_or_default();
            if len == 0 {
                damage.empty_nals += 1;
                continue;
            }
            let Some(nal) = rest.get(..len) else {
                damage.truncated = true;
                break;
            };
            rest = rest.get(len..).unwrap_or_default();
            let is_idr = nal.first().is_some_and(|h| h & 0x1F == NAL_IDR);
            if is_idr && !self.parameter_sets_sent {
                out.extend_from_slice(&self.parameter_sets);
                self.parameter_sets_sent = true;
            }
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(nal);
        }
        damage
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPS: &[u8] = &[0x67, 0x64, 0x00, 0x1F];
    const PPS: &[u8] = &[0x68, 0xEE, 0x3C];
    const IDR: &[u8] = &[0x65, 0x88, 0x84];
    const P: &[u8] = &[0x41, 0x9A, 0x02];
    const SEI: &[u8] = &[0x06, 0x05, 0x01];

    fn sample(length_size: usize, nals: &[&[u8]]) -> Vec<u8> {
        let mut s = Vec::new();
        for n in nals {
            let len = (n.len() as u32).to_be_bytes();
            s.extend_from_slice(&len[4 - length_size..]);
            s.extend_from_slice(n);
        }
        s
    }

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        nals.iter()
            .flat_map(|n| [&START_CODE[..], n].concat())
            .collect()
    }

    #[test]
    fn parameter_sets_go_before_the_first_idr_only() {
        for length_size in [1, 2, 4] {
            let mut c = AnnexB::new(length_size, &[SPS], &[PPS]).unwrap();
            let mut out = Vec::new();
            // A leading non-IDR sample (an open GOP) gets no parameter sets.
            assert_eq!(
                c.convert(&sample(length_size, &[P]), &mut out),
                SampleDamage::default()
            );
            assert_eq!(out, annexb(&[P]));
            c.convert(&sample(length_size, &[SEI, IDR]), &mut out);
            assert_eq!(out, annexb(&[SEI, SPS, PPS, IDR]));
            c.convert(&sample(length_size, &[IDR]), &mut out);
            assert_eq!(out, annexb(&[IDR]));
        }
    }

    #[test]
    fn zero_length_nals_are_skipped_and_counted() {
        let mut c = AnnexB::new(4, &[SPS], &[PPS]).unwrap();
        let mut out = Vec::new();
        let s = [vec![0, 0, 0, 0], sample(4, &[IDR]), vec![0, 0, 0, 0]].concat();
        let damage = c.convert(&s, &mut out);
        assert_eq!(damage.empty_nals, 2);
        assert!(!damage.truncated);
        assert_eq!(out, annexb(&[SPS, PPS, IDR]));
    }

    #[test]
    fn lengths_past_the_sample_and_cut_length_fields_truncate() {
        let mut c = AnnexB::new(4, &[SPS], &[PPS]).unwrap();
        let mut out = Vec::new();
        // Second NAL declares 200 bytes but 3 remain.
        let s = [sample(4, &[P]), vec![0, 0, 0, 200, 1, 2, 3]].concat();
        let damage = c.convert(&s, &mut out);
        assert!(damage.truncated);
        assert_eq!(out, annexb(&[P]));
        // The sample ends inside a length field.
        let s = [sample(4, &[P]), vec![0, 0]].concat();
        assert!(c.convert(&s, &mut out).truncated);
        assert_eq!(out, annexb(&[P]));
        // Huge declared length on a 2-byte field, empty sample, garbage.
        let mut c2 = AnnexB::new(2, &[], &[]).unwrap();
        assert!(c2.convert(&[0xFF, 0xFF, 0x65], &mut out).truncated);
        assert!(out.is_empty());
        assert_eq!(c2.convert(&[], &mut out), SampleDamage::default());
        assert!(c.convert(&[0xFF; 3], &mut out).truncated);
    }

    #[test]
    fn idr_detection() {
        let c = AnnexB::new(4, &[SPS], &[PPS]).unwrap();
        assert!(c.has_idr(&sample(4, &[SEI, IDR])));
        assert!(!c.has_idr(&sample(4, &[SEI, P])));
        assert!(!c.has_idr(&[0, 0, 0, 9, 0x65]));
        assert!(!c.has_idr(&[]));
    }

    #[test]
    fn bad_length_sizes_are_refused() {
        assert!(AnnexB::new(3, &[SPS], &[PPS]).is_none());
        assert!(AnnexB::new(0, &[SPS], &[PPS]).is_none());
        assert!(AnnexB::new(1, &[SPS, &[]], &[PPS]).is_some());
    }
}
