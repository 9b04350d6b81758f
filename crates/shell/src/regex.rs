//! A small backtracking regular-expression engine for grep and sed: POSIX basic (BRE) and
//! extended (ERE) syntax with the common GNU extensions (`\+`, `\?`, `\|` in BRE; `\w`, `\s`,
//! `\b`, `\<`, `\>`), bracket expressions with classes, groups, back-references, `{n,m}`.
//!
//! Matching is leftmost and greedy-first (Perl-like), not POSIX leftmost-longest; for the patterns
//! tutorials use the results are the same. Work is bounded by a step budget and a recursion
//! limit, so a hostile pattern gives "no match" instead of hanging or overflowing the stack.

use std::cell::{Cell, RefCell};

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Set(Box<Set>),
    Start,
    End,
    WordB(bool),
    WordStart,
    WordEnd,
    Group(Vec<Vec<Node>>, Option<usize>),
    Repeat(Box<Node>, u32, Option<u32>),
    Backref(usize),
}

#[derive(Debug, Clone)]
struct Set {
    neg: bool,
    items: Vec<SetItem>,
}

#[derive(Debug, Clone)]
enum SetItem {
    Ch(char),
    Range(char, char),
    Class(String),
    Word(bool),
    Space(bool),
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    alts: Vec<Vec<Node>>,
    groups: usize,
    icase: bool,
}

/// A match: start and end (char indices) and capture groups.
pub type Captures = Vec<Option<(usize, usize)>>;

struct Parser<'a> {
    s: &'a [char],
    i: usize,
    ere: bool,
    groups: usize,
    depth: u32,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn peek2(&self) -> Option<char> {
        self.s.get(self.i + 1).copied()
    }
    fn at_alt(&self) -> bool {
        if self.ere {
            self.peek() == Some('|')
        } else {
            self.peek() == Some('\\') && self.peek2() == Some('|')
        }
    }
    fn at_close(&self) -> bool {
        if self.ere {
            self.peek() == Some(')')
        } else {
            self.peek() == Some('\\') && self.peek2() == Some(')')
        }
    }

    fn alts(&mut self, in_group: bool) -> Result<Vec<Vec<Node>>, String> {
        self.depth += 1;
        if self.depth > 50 {
            return Err("Regular expression too big".to_string());
        }
        let mut alts = vec![self.seq(in_group)?];
        while self.at_alt() {
            self.i += if self.ere { 1 } else { 2 };
            alts.push(self.seq(in_group)?);
        }
        self.depth -= 1;
        Ok(alts)
    }

    fn seq(&mut self, in_group: bool) -> Result<Vec<Node>, String> {
        let mut seq: Vec<Node> = Vec::new();
        loop {
            if self.peek().is_none() || self.at_alt() {
                break;
            }
            if self.at_close() {
                if in_group {
                    break;
                }
                if self.ere {
                    // An unmatched `)` in ERE is an ordinary character (GNU behaviour).
                    self.i += 1;
                    seq.push(Node::Char(')'));
                    continue;
                }
                return Err("Unmatched ) or \\)".to_string());
            }
            let c = self.peek().unwrap_or('\0');
            // Quantifiers.
            let quant = match c {
                '*' => Some((0, None, 1)),
                '+' if self.ere => Some((1, None, 1)),
                '?' if self.ere => Some((0, Some(1), 1)),
                '{' if self.ere => None,
                '\\' if !self.ere && self.peek2() == Some('+') => Some((1, None, 2)),
                '\\' if !self.ere && self.peek2() == Some('?') => Some((0, Some(1), 2)),
                _ => None,
            };
            let brace =
                (self.ere && c == '{') || (!self.ere && c == '\\' && self.peek2() == Some('{'));
            if let Some((min, max, len)) = quant {
                if let Some(prev) = seq.pop() {
                    if matches!(prev, Node::Start) {
                        seq.push(prev);
                        seq.push(Node::Char(c));
                        self.i += 1;
                        continue;
                    }
                    self.i += len;
                    seq.push(Node::Repeat(Box::new(prev), min, max));
                    continue;
                }
                // A leading `*` is literal.
                self.i += 1;
                seq.push(Node::Char(c));
                continue;
            }
            if brace && !seq.is_empty() {
                let save = self.i;
                self.i += if self.ere { 1 } else { 2 };
                match self.bounds() {
                    Some((min, max)) => {
                        if let Some(prev) = seq.pop() {
                            seq.push(Node::Repeat(Box::new(prev), min, max));
                        }
                        continue;
                    }
                    None => {
                        if self.ere {
                            self.i = save + 1;
                            seq.push(Node::Char('{'));
                            continue;
                        }
                        return Err("Invalid content of \\{\\}".to_string());
                    }
                }
            }
            let atom = self.atom(seq.is_empty())?;
            seq.push(atom);
        }
        Ok(seq)
    }

    /// Parses `n}`, `n,}`, `n,m}` (or with `\}` in BRE).
    fn bounds(&mut self) -> Option<(u32, Option<u32>)> {
        let num = |p: &mut Self| -> Option<u32> {
            let st = p.i;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.i += 1;
            }
            if p.i == st {
                return None;
            }
            p.s[st..p.i].iter().collect::<String>().parse().ok()
        };
        let min = num(self).unwrap_or(0);
        let max = if self.peek() == Some(',') {
            self.i += 1;
            num(self)
        } else {
            Some(min)
        };
        if !self.ere {
            if self.peek() != Some('\\') {
                return None;
            }
            self.i += 1;
        }
        if self.peek() != Some('}') {
            return None;
        }
        self.i += 1;
        if max.is_some_and(|m| m < min) || min > 1000 {
            return None;
        }
        Some((min, max))
    }

    fn atom(&mut self, first: bool) -> Result<Node, String> {
        let c = self.peek().unwrap_or('\0');
        self.i += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' if self.ere || first => Node::Start,
            '$' if self.ere || self.peek().is_none() || self.at_alt() || self.at_close() => {
                Node::End
            }
            '[' => self.bracket()?,
            '(' if self.ere => self.group()?,
            '\\' => {
                let n = self.peek().ok_or("Trailing backslash")?;
                self.i += 1;
                match n {
                    '(' if !self.ere => self.group()?,
                    '{' if !self.ere => Node::Char('{'),
                    'w' | 'W' => Node::Set(Box::new(Set {
                        neg: false,
                        items: vec![SetItem::Word(n == 'w')],
                    })),
                    's' | 'S' => Node::Set(Box::new(Set {
                        neg: false,
                        items: vec![SetItem::Space(n == 's')],
                    })),
                    'b' => Node::WordB(true),
                    'B' => Node::WordB(false),
                    '<' => Node::WordStart,
                    '>' => Node::WordEnd,
                    'n' => Node::Char('\n'),
                    't' => Node::Char('\t'),
                    '1'..='9' => {
                        let k = n as usize - '0' as usize;
                        if k > self.groups {
                            return Err("Invalid back reference".to_string());
                        }
                        Node::Backref(k)
                    }
                    other => Node::Char(other),
                }
            }
            other => Node::Char(other),
        })
    }

    fn group(&mut self) -> Result<Node, String> {
        self.groups += 1;
        let idx = self.groups;
        let alts = self.alts(true)?;
        if !self.at_close() {
            return Err("Unmatched ( or \\(".to_string());
        }
        self.i += if self.ere { 1 } else { 2 };
        Ok(Node::Group(alts, Some(idx)))
    }

    fn bracket(&mut self) -> Result<Node, String> {
        let mut set = Set {
            neg: false,
            items: Vec::new(),
        };
        if self.peek() == Some('^') {
            set.neg = true;
            self.i += 1;
        }
        let mut first = true;
        loop {
            let c = self.peek().ok_or("Unmatched [, [^, [:, [., or [=")?;
            if c == ']' && !first {
                self.i += 1;
                break;
            }
            first = false;
            if c == '[' && self.peek2() == Some(':') {
                let rest: String = self.s[self.i + 2..].iter().collect();
                if let Some(end) = rest.find(":]") {
                    let name = rest[..end].to_string();
                    self.i += 2 + name.chars().count() + 2;
                    set.items.push(SetItem::Class(name));
                    continue;
                }
            }
            self.i += 1;
            if self.peek() == Some('-') && self.peek2().is_some_and(|e| e != ']') {
                let hi = self.peek2().unwrap_or(c);
                self.i += 2;
                if hi < c {
                    return Err("Invalid range end".to_string());
                }
                set.items.push(SetItem::Range(c, hi));
            } else {
                set.items.push(SetItem::Ch(c));
            }
        }
        Ok(Node::Set(Box::new(set)))
    }
}

const STEP_LIMIT: u64 = 2_000_000;
const DEPTH_LIMIT: u32 = 1_000;

struct Ctx<'a> {
    t: &'a [char],
    icase: bool,
    caps: RefCell<Captures>,
    steps: Cell<u64>,
    depth: Cell<u32>,
}

fn fold(c: char, icase: bool) -> char {
    if icase {
        c.to_lowercase().next().unwrap_or(c)
    } else {
        c
    }
}

impl Set {
    fn matches(&self, c: char, icase: bool) -> bool {
        let test = |c: char| {
            self.items.iter().any(|it| match it {
                SetItem::Ch(x) => *x == c,
                SetItem::Range(a, b) => *a <= c && c <= *b,
                SetItem::Class(n) => crate::glob::class_name_matches(n, c),
                SetItem::Word(pos) => is_word(c) == *pos,
                SetItem::Space(pos) => c.is_whitespace() == *pos,
            })
        };
        let hit = if icase {
            test(c) || c.to_lowercase().any(test) || c.to_uppercase().any(test)
        } else {
            test(c)
        };
        hit != self.neg
    }
}

impl Ctx<'_> {
    fn single(&self, n: &Node, pos: usize) -> Option<bool> {
        let c = self.t.get(pos).copied();
        Some(match n {
            Node::Char(x) => c.is_some_and(|c| fold(c, self.icase) == fold(*x, self.icase)),
            Node::Any => c.is_some_and(|c| c != '\n'),
            Node::Set(s) => c.is_some_and(|c| s.matches(c, self.icase)),
            _ => return None,
        })
    }

    fn seq(&self, seq: &[Node], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match seq.split_first() {
            None => k(pos),
            Some((n, rest)) => {
                if rest.is_empty() {
                    self.node(n, pos, k)
                } else {
                    self.node(n, pos, &mut |p| self.seq(rest, p, k))
                }
            }
        }
    }

    fn node(&self, n: &Node, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > STEP_LIMIT || self.depth.get() > DEPTH_LIMIT {
            return false;
        }
        self.depth.set(self.depth.get() + 1);
        let r = self.node_inner(n, pos, k);
        self.depth.set(self.depth.get().saturating_sub(1));
        r
    }

    fn word_at(&self, pos: usize) -> bool {
        self.t.get(pos).is_some_and(|c| is_word(*c))
    }

    fn node_inner(&self, n: &Node, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        if let Some(ok) = self.single(n, pos) {
            return ok && k(pos + 1);
        }
        match n {
            Node::Start => (pos == 0 || self.t.get(pos - 1) == Some(&'\n')) && k(pos),
            Node::End => (pos == self.t.len() || self.t.get(pos) == Some(&'\n')) && k(pos),
            Node::WordB(want) => {
                let before = pos > 0 && self.word_at(pos - 1);
                ((before != self.word_at(pos)) == *want) && k(pos)
            }
            Node::WordStart => !(pos > 0 && self.word_at(pos - 1)) && self.word_at(pos) && k(pos),
            Node::WordEnd => pos > 0 && self.word_at(pos - 1) && !self.word_at(pos) && k(pos),
            Node::Backref(i) => {
                let cap = self.caps.borrow().get(*i).copied().flatten();
                match cap {
                    Some((a, b)) => {
                        let len = b.saturating_sub(a);
                        let src = self.t.get(a..b).unwrap_or(&[]);
                        let dst = self.t.get(pos..pos + len);
                        dst.is_some_and(|d| {
                            d.iter()
                                .zip(src)
                                .all(|(x, y)| fold(*x, self.icase) == fold(*y, self.icase))
                        }) && k(pos + len)
                    }
                    None => false,
                }
            }
            Node::Group(alts, idx) => {
                for alt in alts {
                    let ok = self.seq(alt, pos, &mut |e| {
                        let old = idx.and_then(|i| {
                            let mut caps = self.caps.borrow_mut();
                            let slot = caps.get_mut(i)?;
                            Some(slot.replace((pos, e)))
                        });
                        if k(e) {
                            return true;
                        }
                        if let (Some(i), Some(old)) = (idx, old) {
                            if let Some(slot) = self.caps.borrow_mut().get_mut(*i) {
                                *slot = old;
                            }
                        }
                        false
                    });
                    if ok {
                        return true;
                    }
                }
                false
            }
            Node::Repeat(inner, min, max) => {
                if self.single(inner, pos).is_some() {
                    // Fast path for single-character atoms: count, then back off.
                    let mut n = 0u32;
                    while max.is_none_or(|m| n < m)
                        && self.single(inner, pos + n as usize) == Some(true)
                    {
                        n += 1;
                    }
                    let mut i = n;
                    loop {
                        if i < *min {
                            return false;
                        }
                        let steps = self.steps.get() + 1;
                        self.steps.set(steps);
                        if steps > STEP_LIMIT {
                            return false;
                        }
                        if k(pos + i as usize) {
                            return true;
                        }
                        if i == 0 {
                            return false;
                        }
                        i -= 1;
                    }
                }
                self.repeat(inner, *min, *max, 0, pos, k)
            }
            _ => false,
        }
    }

    fn repeat(
        &self,
        inner: &Node,
        min: u32,
        max: Option<u32>,
        count: u32,
        pos: usize,
        k: &mut dyn FnMut(usize) -> bool,
    ) -> bool {
        if max.is_none_or(|m| count < m) {
            let more = self.node(inner, pos, &mut |p| {
                if p == pos && count >= min {
                    return false;
                }
                self.repeat(inner, min, max, count + 1, p, k)
            });
            if more {
                return true;
            }
        }
        count >= min && k(pos)
    }
}

impl Regex {
    /// Compiles a pattern: `extended` for ERE (`grep -E`, `sed -E`), else BRE.
    pub fn new(pattern: &str, extended: bool, icase: bool) -> Result<Regex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut p = Parser {
            s: &chars,
            i: 0,
            ere: extended,
            groups: 0,
            depth: 0,
        };
        let alts = p.alts(false)?;
        if p.i < chars.len() {
            return Err("Unmatched ) or \\)".to_string());
        }
        Ok(Regex {
            alts,
            groups: p.groups,
            icase,
        })
    }

    /// A regex matching `lit` literally (grep -F).
    pub fn literal(lit: &str, icase: bool) -> Regex {
        Regex {
            alts: vec![lit.chars().map(Node::Char).collect()],
            groups: 0,
            icase,
        }
    }

    /// Finds the leftmost match starting at or after `start`: (start, end, captures) where
    /// captures[0] is the whole match.
    pub fn find_at(&self, t: &[char], start: usize) -> Option<(usize, usize, Captures)> {
        let ctx = Ctx {
            t,
            icase: self.icase,
            caps: RefCell::new(vec![None; self.groups + 1]),
            steps: Cell::new(0),
            depth: Cell::new(0),
        };
        let top = Node::Group(self.alts.clone(), None);
        for s in start..=t.len() {
            let mut end = None;
            if ctx.node(&top, s, &mut |e| {
                end = Some(e);
                true
            }) {
                let e = end.unwrap_or(s);
                let mut caps = ctx.caps.into_inner();
                if let Some(c0) = caps.get_mut(0) {
                    *c0 = Some((s, e));
                }
                return Some((s, e, caps));
            }
            if ctx.steps.get() > STEP_LIMIT {
                return None;
            }
        }
        None
    }

    pub fn is_match(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        self.find_at(&t, 0).is_some()
    }
}
