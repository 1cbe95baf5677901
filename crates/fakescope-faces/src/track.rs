//! Face tracks: the detections of consecutive frames linked into one track per person, so that
//! a video's score can be given per face identity.
//!
//! Linking is greedy by overlap and deterministic: in each frame every pair (open track, face)
//! whose IoU with the track's last box is at least [`TrackerOptions::min_iou`] is a candidate;
//! pairs are taken by highest IoU first (ties: older track, then earlier face), each track and
//! face used once. Faces left over start new tracks, in their order. A track stays open through
//! up to [`TrackerOptions::max_missed`] frames in a row without a match, then closes for good.

use crate::mtcnn::Face;

/// Tracker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerOptions {
    /// Smallest IoU that links a face to a track (default 0.3).
    pub min_iou: f32,
    /// Frames in a row a track may miss before it closes (default 5).
    pub max_missed: usize,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        TrackerOptions {
            min_iou: 0.3,
            max_missed: 5,
        }
    }
}

/// One identity through the video.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Number of the track, in order of appearance from 0.
    pub id: usize,
    /// `(frame index, face)` for every frame the face was detected in, in order.
    pub faces: Vec<(usize, Face)>,
}

impl Track {
    fn last(&self) -> &(usize, Face) {
        // A track is created with its first face.
        &self.faces[self.faces.len() - 1]
    }
}

/// Intersection over union of two `x1, y1, x2, y2` boxes (0 when either is empty).
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Links faces frame by frame; feed every frame in order, including frames without faces.
#[derive(Debug, Clone)]
pub struct Tracker {
    options: TrackerOptions,
    tracks: Vec<Track>,
    /// Indices into `tracks` of the open ones.
    open: Vec<usize>,
    frame: usize,
}

impl Tracker {
    /// An empty tracker; the first [`Tracker::push`] is frame 0.
    pub fn new(options: TrackerOptions) -> Tracker {
        Tracker {
            options,
            tracks: Vec::new(),
            open: Vec::new(),
            frame: 0,
        }
    }

    /// Adds the faces of the next frame; returns the track id of each face, in order.
    pub fn push(&mut self, faces: &[Face]) -> Vec<usize> {
        let frame = self.frame;
        self.frame += 1;
        // Close the tracks that have missed too many frames.
        let max_missed = self.options.max_missed;
        let tracks = &self.tracks;
        self.open
            .retain(|&t| frame - tracks[t].last().0 - 1 <= max_missed);

        let mut pairs: Vec<(f32, usize, usize)> = Vec::new();
        for &t in &self.open {
            let last = &self.tracks[t].last().1.bbox;
            for (f, face) in faces.iter().enumerate() {
                let overlap = iou(last, &face.bbox);
                if overlap >= self.options.min_iou {
                    pairs.push((overlap, t, f));
                }
            }
        }
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut assigned: Vec<Option<usize>> = vec![None; faces.len()];
        let mut used = vec![false; self.tracks.len()];
        for (_, t, f) in pairs {
            if used[t] || assigned[f].is_some() {
                continue;
            }
            used[t] = true;
            assigned[f] = Some(t);
        }
        let mut ids = Vec::with_capacity(faces.len());
        for (f, face) in faces.iter().enumerate() {
            let t = match assigned[f] {
                Some(t) => t,
                None => {
                    let id = self.tracks.len();
                    self.tracks.push(Track {
                        id,
                        faces: Vec::new(),
                    });
                    self.open.push(id);
                    id
                }
            };
            self.tracks[t].faces.push((frame, *face));
            ids.push(t);
        }
        ids
    }

    /// All tracks, by id.
    pub fn finish(self) -> Vec<Track> {
        self.tracks
    }
}

/// Links the faces of `frames` (one list per frame, in order) into tracks, by id.
pub fn link_tracks(frames: &[Vec<Face>], options: TrackerOptions) -> Vec<Track> {
    let mut tracker = Tracker::new(options);
    for faces in frames {
        tracker.push(faces);
    }
    tracker.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(x: f32, y: f32, side: f32) -> Face {
        Face {
            bbox: [x, y, x + side, y + side],
            probability: 0.99,
            landmarks: [[0.0; 2]; 5],
        }
    }

    fn ids(tracks: &[Track]) -> Vec<Vec<usize>> {
        tracks
            .iter()
            .map(|t| t.faces.iter().map(|(f, _)| *f).collect())
            .collect()
    }

    #[test]
    fn iou_by_hand() {
        // Overlap 5x10 = 50, union 100 + 100 - 50.
        assert!((iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]) - 1.0 / 3.0).abs() < 1e-7);
        assert_eq!(iou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 2.0, 3.0, 3.0]), 0.0);
        assert_eq!(iou(&[0.0; 4], &[0.0; 4]), 0.0);
    }

    #[test]
    fn two_people_moving_stay_apart() {
        // Person A drifts right, B drifts down; the detector lists them in varying order.
        let frames = vec![
            vec![face(0.0, 0.0, 50.0), face(200.0, 0.0, 50.0)],
            vec![face(205.0, 5.0, 50.0), face(5.0, 0.0, 50.0)],
            vec![face(10.0, 0.0, 50.0), face(210.0, 10.0, 50.0)],
        ];
        let tracks = link_tracks(&frames, TrackerOptions::default());
        assert_eq!(tracks.len(), 2);
        assert_eq!(ids(&tracks), vec![vec![0, 1, 2], vec![0, 1, 2]]);
        assert_eq!(tracks[0].faces[2].1.bbox[0], 10.0);
        assert_eq!(tracks[1].faces[2].1.bbox[0], 210.0);
    }

    #[test]
    fn a_track_survives_a_few_missing_frames_then_closes() {
        let options = TrackerOptions {
            min_iou: 0.3,
            max_missed: 2,
        };
        // Missing in frames 1 and 2 (2 in a row): still the same track at frame 3.
        let frames = vec![
            vec![face(0.0, 0.0, 40.0)],
            vec![],
            vec![],
            vec![face(2.0, 0.0, 40.0)],
        ];
        assert_eq!(ids(&link_tracks(&frames, options)), vec![vec![0, 3]]);
        // Missing 3 in a row: a new track.
        let frames = vec![
            vec![face(0.0, 0.0, 40.0)],
            vec![],
            vec![],
            vec![],
            vec![face(2.0, 0.0, 40.0)],
        ];
        assert_eq!(ids(&link_tracks(&frames, options)), vec![vec![0], vec![4]]);
    }

    #[test]
    fn greedy_takes_the_highest_overlap_first() {
        // Two tracks; one new face overlaps both, the closer track gets it and the other face,
        // overlapping nothing, starts a third track.
        let frames = vec![
            vec![face(0.0, 0.0, 100.0), face(60.0, 0.0, 100.0)],
            vec![face(50.0, 0.0, 100.0), face(500.0, 500.0, 10.0)],
        ];
        let tracks = link_tracks(&frames, TrackerOptions::default());
        assert_eq!(ids(&tracks), vec![vec![0], vec![0, 1], vec![1]]);
    }

    #[test]
    fn linking_is_deterministic() {
        let frames: Vec<Vec<Face>> = (0..20)
            .map(|i| {
                let x = i as f32 * 3.0;
                vec![
                    face(x, 0.0, 30.0),
                    face(x + 10.0, 0.0, 30.0),
                    face(300.0 - x, 50.0, 30.0),
                ]
            })
            .collect();
        let a = link_tracks(&frames, TrackerOptions::default());
        let b = link_tracks(&frames, TrackerOptions::default());
        assert_eq!(a, b);
        // A face that stays put in its lane keeps its track: the three lanes give three tracks.
        assert_eq!(a.len(), 3);
    }
}
