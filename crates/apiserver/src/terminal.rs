//! The terminal between `kubectl exec -it` and a process in the simulated container: the
//! part of a pty's line discipline a shell session needs. kubectl puts the user's terminal
//! in raw mode and sends every key as typed; in a real container the kernel's pty then
//! echoes the keys, edits the line (backspace, Ctrl-U), turns Ctrl-C into an interrupt and
//! Ctrl-D on an empty line into end of input, hands the program whole lines, and turns the
//! program's `\n` into `\r\n`. Without a TTY nothing is echoed or edited: input is split
//! into lines as the program would read them from a pipe.
//! It never runs anything: it only turns bytes typed into events.

/// What a chunk of typed input amounts to, in order.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Bytes to send back to the terminal (the echo).
    Echo(String),
    /// A complete line (without its newline).
    Line(String),
    /// Ctrl-C: the line typed so far is dropped.
    Interrupt,
    /// End of input: Ctrl-D on an empty line, or (without a TTY) the end of stdin.
    Eof,
}

/// The line being typed and the terminal's mode.
#[derive(Debug, Default)]
pub struct LineDiscipline {
    tty: bool,
    line: String,
    /// Bytes of an incomplete UTF-8 character or escape sequence.
    pending: Vec<u8>,
    /// Inside an escape sequence (arrow keys and the like): swallowed, as readline-less
    /// shells such as busybox's ash without line editing would show nothing useful.
    escape: Option<Vec<u8>>,
}

impl LineDiscipline {
    pub fn new(tty: bool) -> LineDiscipline {
        LineDiscipline {
            tty,
            ..LineDiscipline::default()
        }
    }

    /// Feeds typed bytes; returns what they amount to.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        let mut echo = String::new();
        let flush = |echo: &mut String, out: &mut Vec<Event>| {
            if !echo.is_empty() {
                out.push(Event::Echo(std::mem::take(echo)));
            }
        };
        for &b in bytes {
            if let Some(seq) = self.escape.as_mut() {
                seq.push(b);
                // CSI sequences end with a byte in 0x40..=0x7e; `ESC x` ends at once.
                let done = match seq.as_slice() {
                    [b'['] | [b'O'] => false,
                    [b'[' | b'O', .., last] => (0x40..=0x7e).contains(last),
                    _ => true,
                };
                if done {
                    self.escape = None;
                }
                continue;
            }
            if !self.tty {
                if b == b'\n' {
                    self.take_pending();
                    out.push(Event::Line(std::mem::take(&mut self.line)));
                } else {
                    self.push_byte(b);
                }
                continue;
            }
            match b {
                b'\r' | b'\n' => {
                    self.take_pending();
                    echo.push_str("\r\n");
                    flush(&mut echo, &mut out);
                    out.push(Event::Line(std::mem::take(&mut self.line)));
                }
                0x7f | 0x08 => {
                    self.pending.clear();
                    if self.line.pop().is_some() {
                        echo.push_str("\x08 \x08");
                    }
                }
                0x03 => {
                    self.pending.clear();
                    self.line.clear();
                    echo.push_str("^C\r\n");
                    flush(&mut echo, &mut out);
                    out.push(Event::Interrupt);
                }
                0x04 => {
                    if self.line.is_empty() && self.pending.is_empty() {
                        flush(&mut echo, &mut out);
                        out.push(Event::Eof);
                    }
                }
                0x15 => {
                    for _ in 0..self.line.chars().count() {
                        echo.push_str("\x08 \x08");
                    }
                    self.line.clear();
                    self.pending.clear();
                }
                0x1b => self.escape = Some(Vec::new()),
                b'\t' => {
                    self.line.push(' ');
                    echo.push(' ');
                }
                c if c < 0x20 => {}
                _ => {
                    let before = self.line.len();
                    self.push_byte(b);
                    if self.line.len() > before {
                        echo.push_str(&self.line[before..]);
                    }
                }
            }
        }
        flush(&mut echo, &mut out);
        out
    }

    /// The end of the input stream (the client closed stdin): a partial line still counts.
    pub fn close(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.take_pending();
        if !self.line.is_empty() && !self.tty {
            out.push(Event::Line(std::mem::take(&mut self.line)));
        }
        out.push(Event::Eof);
        out
    }

    fn push_byte(&mut self, b: u8) {
        self.pending.push(b);
        match std::str::from_utf8(&self.pending) {
            Ok(s) => {
                self.line.push_str(s);
                self.pending.clear();
            }
            Err(e) if e.error_len().is_some() => self.take_pending(),
            Err(_) => {}
        }
    }

    /// Whatever incomplete bytes remain, as text (invalid bytes become U+FFFD).
    fn take_pending(&mut self) {
        if !self.pending.is_empty() {
            self.line.push_str(&String::from_utf8_lossy(&self.pending));
            self.pending.clear();
        }
    }
}

/// A program's output as a terminal shows it: every `\n` becomes `\r\n`.
pub fn onlcr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push('\r');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(ev: &[Event]) -> Vec<&str> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Line(l) => Some(l.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_tty_echoes_keys_and_ends_lines_with_cr_lf() {
        let mut t = LineDiscipline::new(true);
        let ev = t.feed(b"echo hi\r");
        assert_eq!(
            ev,
            vec![
                Event::Echo("echo hi\r\n".into()),
                Event::Line("echo hi".into())
            ]
        );
    }

    #[test]
    fn backspace_and_ctrl_u_edit_the_line() {
        let mut t = LineDiscipline::new(true);
        let ev = t.feed(b"lx\x7fs\r");
        assert_eq!(lines(&ev), vec!["ls"]);
        assert_eq!(ev[0], Event::Echo("lx\x08 \x08s\r\n".into()));
        let ev = t.feed(b"rm -rf /\x15pwd\r");
        assert_eq!(lines(&ev), vec!["pwd"]);
        // Backspace on an empty line echoes nothing.
        assert_eq!(t.feed(b"\x7f"), vec![]);
    }

    #[test]
    fn ctrl_c_drops_the_line_and_ctrl_d_ends_input_only_on_an_empty_line() {
        let mut t = LineDiscipline::new(true);
        let ev = t.feed(b"sleep 9\x03");
        assert_eq!(
            ev,
            vec![Event::Echo("sleep 9^C\r\n".into()), Event::Interrupt]
        );
        assert_eq!(t.feed(b"ab\x04"), vec![Event::Echo("ab".into())]);
        assert_eq!(
            t.feed(b"\x15\x04"),
            vec![Event::Echo("\x08 \x08\x08 \x08".into()), Event::Eof]
        );
    }

    #[test]
    fn arrow_keys_are_swallowed_and_utf8_split_across_chunks_is_kept() {
        let mut t = LineDiscipline::new(true);
        assert_eq!(t.feed(b"\x1b[A\x1bOB"), vec![]);
        let snow = "☃".as_bytes();
        assert_eq!(t.feed(&snow[..1]), vec![]);
        let ev = t.feed(&[&snow[1..], b"\r"].concat());
        assert_eq!(lines(&ev), vec!["☃"]);
    }

    #[test]
    fn without_a_tty_input_is_split_into_lines_and_a_last_partial_line_counts() {
        let mut t = LineDiscipline::new(false);
        let ev = t.feed(b"echo a\necho b\nech");
        assert_eq!(lines(&ev), vec!["echo a", "echo b"]);
        assert!(!ev.iter().any(|e| matches!(e, Event::Echo(_))));
        let ev = t.feed(b"o c");
        assert!(ev.is_empty());
        assert_eq!(t.close(), vec![Event::Line("echo c".into()), Event::Eof]);
    }

    #[test]
    fn output_lines_end_with_cr_lf() {
        assert_eq!(onlcr("a\nb\n"), "a\r\nb\r\n");
    }
}
