//! Go's `text/tabwriter` as kubectl uses it (through `github.com/liggitt/tabwriter`, which adds
//! `RememberWidths`): tab-terminated cells are aligned in columns, the text after a line's last
//! tab is not part of any column, and a column block ends at the first line without a cell in
//! that column. Widths count runes, as Go's does.
//!
//! kubectl's tables use `Config::KUBECTL` (minwidth 6, tabwidth 4, padding 3, spaces,
//! RememberWidths); `kubectl describe` uses `Config::DESCRIBE` (0, 8, 2). This module must never
//! know about Kubernetes objects: it only lays out text.

/// Layout parameters (Go's `Init(output, minwidth, tabwidth, padding, padchar, flags)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    pub min_width: usize,
    pub padding: usize,
    /// Keep the widest width seen per column across flushes (`RememberWidths`).
    pub remember_widths: bool,
}

impl Config {
    /// cli-runtime `printers.GetNewTabWriter`.
    pub const KUBECTL: Config = Config {
        min_width: 6,
        padding: 3,
        remember_widths: true,
    };
    /// kubectl describe's `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`.
    pub const DESCRIBE: Config = Config {
        min_width: 0,
        padding: 2,
        remember_widths: false,
    };
}

#[derive(Clone, Debug, Default)]
struct Cell {
    text: String,
    width: usize,
}

/// A tab writer that appends its formatted output to an internal string.
#[derive(Clone, Debug)]
pub struct TabWriter {
    config: Config,
    /// Complete lines waiting for a flush; each line's cells (the last one is the unterminated tail).
    lines: Vec<Vec<Cell>>,
    /// The cell being written (text since the last tab/newline).
    cell: String,
    max_widths: Vec<usize>,
    widths: Vec<usize>,
    out: String,
}

impl TabWriter {
    pub fn new(config: Config) -> TabWriter {
        TabWriter {
            config,
            lines: vec![Vec::new()],
            cell: String::new(),
            max_widths: Vec::new(),
            widths: Vec::new(),
            out: String::new(),
        }
    }

    /// Writes text; `\t` ends a cell, `\n` ends a line.
    pub fn write(&mut self, text: &str) {
        for ch in text.chars() {
            match ch {
                '\t' | '\n' => {
                    let cell = std::mem::take(&mut self.cell);
                    let width = cell.chars().count();
                    let line = self.lines.last_mut();
                    let ncells = match line {
                        Some(l) => {
                            l.push(Cell { text: cell, width });
                            l.len()
                        }
                        None => 0,
                    };
                    if ch == '\n' {
                        self.lines.push(Vec::new());
                        // A line of a single cell cannot affect later columns: Go flushes here.
                        if ncells == 1 {
                            self.flush();
                        }
                    }
                }
                c => self.cell.push(c),
            }
        }
    }

    /// Formats and emits everything buffered.
    pub fn flush(&mut self) {
        if !self.cell.is_empty() {
            let cell = std::mem::take(&mut self.cell);
            let width = cell.chars().count();
            if let Some(l) = self.lines.last_mut() {
                l.push(Cell { text: cell, width });
            }
        }
        let n = self.lines.len();
        self.format(0, n);
        self.lines = vec![Vec::new()];
        self.widths.clear();
    }

    /// Takes the text formatted so far (call `flush` first to include buffered lines).
    pub fn take_output(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// Forgets remembered widths (kubectl does this when a new resource type starts).
    pub fn reset_remembered_widths(&mut self) {
        self.max_widths.clear();
    }

    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // A block of lines with a cell in this column starts here.
            self.write_lines(line0, this);
            line0 = this;
            let mut width = self.config.min_width;
            while this < line1 {
                let line = &self.lines[this];
                if column + 1 >= line.len() {
                    break;
                }
                width = width.max(line[column].width + self.config.padding);
                this += 1;
            }
            if self.config.remember_widths {
                if self.max_widths.len() < self.widths.len() {
                    let from = self.max_widths.len();
                    let extra: Vec<usize> = self.widths[from..].to_vec();
                    self.max_widths.extend(extra);
                }
                let i = self.widths.len();
                if self.max_widths.len() == i {
                    self.max_widths.push(width);
                } else if self.max_widths[i] > width {
                    width = self.max_widths[i];
                } else {
                    self.max_widths[i] = width;
                }
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        let last = self.lines.len();
        for i in line0..line1 {
            let line = &self.lines[i];
            for (j, c) in line.iter().enumerate() {
                self.out.push_str(&c.text);
                if let Some(w) = self.widths.get(j) {
                    for _ in c.width..*w {
                        self.out.push(' ');
                    }
                }
            }
            if i + 1 != last {
                self.out.push('\n');
            }
        }
    }
}

/// Lays out `text` in one go (a convenience for whole tables).
pub fn format(config: Config, text: &str) -> String {
    let mut w = TabWriter::new(config);
    w.write(text);
    w.flush();
    w.take_output()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_every_column_but_the_last() {
        let t = format(
            Config::KUBECTL,
            "NAME\tREADY\tSTATUS\tRESTARTS\tAGE\nweb-0\t1/1\tRunning\t0\t1m\n",
        );
        assert_eq!(
            t,
            "NAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          1m\n"
        );
    }

    #[test]
    fn remembered_widths_only_grow_across_flushes() {
        let mut w = TabWriter::new(Config::KUBECTL);
        w.write("NAME\tREADY\tSTATUS\tRESTARTS\tAGE\nweb-0\t0/1\tPending\t0\t0s\n");
        w.flush();
        w.write("web-0\t0/1\tContainerCreating\t0\t0s\n");
        w.flush();
        w.write("web-0\t1/1\tRunning\t0\t19s\n");
        w.flush();
        assert_eq!(
            w.take_output(),
            "NAME    READY   STATUS    RESTARTS   AGE\n\
             web-0   0/1     Pending   0          0s\n\
             web-0   0/1     ContainerCreating   0          0s\n\
             web-0   1/1     Running             0          19s\n"
        );
    }

    #[test]
    fn a_line_without_a_cell_ends_the_column_block() {
        let t = format(Config::DESCRIBE, "a:\tb\nlonger key:\tc\nsection\nx:\ty\n");
        assert_eq!(t, "a:           b\nlonger key:  c\nsection\nx:  y\n");
    }
}
