//! What a command prints: stdout and stderr chunks kept in the order they were written,
//! so a transcript shows them interleaved exactly as a terminal would.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub chunks: Vec<(Stream, String)>,
}

impl Output {
    pub fn new() -> Output {
        Output::default()
    }

    pub fn out(&mut self, s: impl AsRef<str>) {
        self.push(Stream::Stdout, s.as_ref());
    }

    pub fn err(&mut self, s: impl AsRef<str>) {
        self.push(Stream::Stderr, s.as_ref());
    }

    /// Writes a line (adds the newline) to stdout.
    pub fn outln(&mut self, s: impl AsRef<str>) {
        self.push(Stream::Stdout, s.as_ref());
        self.push(Stream::Stdout, "\n");
    }

    /// Writes a line (adds the newline) to stderr.
    pub fn errln(&mut self, s: impl AsRef<str>) {
        self.push(Stream::Stderr, s.as_ref());
        self.push(Stream::Stderr, "\n");
    }

    pub fn push(&mut self, stream: Stream, s: &str) {
        if s.is_empty() {
            return;
        }
        match self.chunks.last_mut() {
            Some((st, text)) if *st == stream => text.push_str(s),
            _ => self.chunks.push((stream, s.to_string())),
        }
    }

    pub fn append(&mut self, other: Output) {
        for (st, s) in other.chunks {
            self.push(st, &s);
        }
    }

    /// Everything written to stdout, concatenated.
    pub fn stdout(&self) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == Stream::Stdout)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    pub fn stderr(&self) -> String {
        self.chunks
            .iter()
            .filter(|(s, _)| *s == Stream::Stderr)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// Both streams interleaved, as a terminal shows them.
    pub fn combined(&self) -> String {
        self.chunks.iter().map(|(_, t)| t.as_str()).collect()
    }
}
