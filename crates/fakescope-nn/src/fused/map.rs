//! A batch of channels-last feature maps with a zero border, as one `Vec<f32>`.

/// `[batch, height + 2 pad_h, width + 2 pad_w, channels]` values, channels last; the border of
/// `pad` rows/columns on each side is zero, so that convolutions read it as padding.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMap {
    data: Vec<f32>,
    batch: usize,
    height: usize,
    width: usize,
    channels: usize,
    pad: [usize; 2],
}

impl FeatureMap {
    /// An all-zero map.
    pub fn zeros(
        batch: usize,
        height: usize,
        width: usize,
        channels: usize,
        pad: [usize; 2],
    ) -> Self {
        let len = batch * (height + 2 * pad[0]) * (width + 2 * pad[1]) * channels;
        FeatureMap {
            data: vec![0.0; len],
            batch,
            height,
            width,
            channels,
            pad,
        }
    }

    /// Wraps `[batch, height, width, channels]` values without a border; `None` when the
    /// length does not match.
    pub fn from_vec(data: Vec<f32>, [batch, height, width, channels]: [usize; 4]) -> Option<Self> {
        (data.len() == batch * height * width * channels).then_some(FeatureMap {
            data,
            batch,
            height,
            width,
            channels,
            pad: [0, 0],
        })
    }

    /// `[batch, height, width, channels]`, without the border.
    pub fn dims(&self) -> [usize; 4] {
        [self.batch, self.height, self.width, self.channels]
    }

    /// Border rows and columns on each side.
    pub fn pad(&self) -> [usize; 2] {
        self.pad
    }

    /// Height with the border.
    pub fn padded_height(&self) -> usize {
        self.height + 2 * self.pad[0]
    }

    /// Values per padded row (`(width + 2 pad_w) × channels`).
    pub fn row_len(&self) -> usize {
        (self.width + 2 * self.pad[1]) * self.channels
    }

    /// Padded row `r` (`0 ..` [`padded_height`](Self::padded_height)) of item `b`.
    pub fn row(&self, b: usize, r: usize) -> &[f32] {
        let len = self.row_len();
        let start = (b * self.padded_height() + r) * len;
        &self.data[start..start + len]
    }

    /// Sets the value at content coordinates (the border excluded).
    pub fn set(&mut self, b: usize, h: usize, w: usize, c: usize, value: f32) {
        let i = self.index(b, h, w, c);
        self.data[i] = value;
    }

    fn index(&self, b: usize, h: usize, w: usize, c: usize) -> usize {
        ((b * self.padded_height() + h + self.pad[0]) * (self.width + 2 * self.pad[1])
            + w
            + self.pad[1])
            * self.channels
            + c
    }

    /// All values, border included.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// All values, border included, mutably (keep the border zero).
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// The values without border as `[batch, height, width, channels]`.
    pub fn into_unpadded(self) -> Vec<f32> {
        if self.pad == [0, 0] {
            return self.data;
        }
        let mut out = Vec::with_capacity(self.batch * self.height * self.width * self.channels);
        let (start, len) = (self.pad[1] * self.channels, self.width * self.channels);
        for b in 0..self.batch {
            for h in 0..self.height {
                out.extend_from_slice(&self.row(b, h + self.pad[0])[start..start + len]);
            }
        }
        out
    }
}
