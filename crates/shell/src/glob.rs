//! Shell patterns (`*`, `?`, `[...]`, `\x`) for `case` and `${var#pattern}`. File name globbing
//! is not done: words with `*` stay literal. Matching is iterative (no recursion, no blow-up).

/// Matches one pattern element at `p` against `c`. Returns (matched, pattern length) or None when
/// `p` starts a `*`.
fn element(p: &[char], c: char) -> (bool, usize) {
    match p.first() {
        Some('?') => (true, 1),
        Some('\\') if p.len() > 1 => (p[1] == c, 2),
        Some('[') => match class(p, c) {
            Some(r) => r,
            None => (c == '[', 1),
        },
        Some(&x) => (x == c, 1),
        None => (false, 0),
    }
}

/// Matches a bracket expression; None when it is not closed (then `[` is literal).
fn class(p: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let neg = matches!(p.get(i), Some('!') | Some('^'));
    if neg {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let x = *p.get(i)?;
        if x == ']' && !first {
            return Some((matched != neg, i + 1));
        }
        first = false;
        if x == '[' && p.get(i + 1) == Some(&':') {
            let rest: String = p[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                let name = &rest[..end];
                if class_name_matches(name, c) {
                    matched = true;
                }
                i += 2 + name.chars().count() + 2;
                continue;
            }
        }
        let lo = if x == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            x
        };
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|e| *e != ']') {
            let hi = *p.get(i + 2)?;
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
}

/// POSIX character class names (`[:digit:]` etc.), shared with tr and the regex engine.
pub fn class_name_matches(name: &str, c: char) -> bool {
    match name {
        "alpha" => c.is_ascii_alphabetic(),
        "digit" => c.is_ascii_digit(),
        "alnum" => c.is_ascii_alphanumeric(),
        "upper" => c.is_ascii_uppercase(),
        "lower" => c.is_ascii_lowercase(),
        "space" => matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'),
        "blank" => c == ' ' || c == '\t',
        "punct" => c.is_ascii_punctuation(),
        "xdigit" => c.is_ascii_hexdigit(),
        "print" => c == ' ' || c.is_ascii_graphic(),
        "graph" => c.is_ascii_graphic(),
        "cntrl" => c.is_ascii_control(),
        _ => false,
    }
}

/// Whether the whole of `text` matches `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if p.get(pi) == Some(&'*') {
            star = Some((pi + 1, ti));
            pi += 1;
            continue;
        }
        if pi < p.len() {
            let (ok, len) = element(&p[pi..], t[ti]);
            if ok {
                pi += len;
                ti += 1;
                continue;
            }
        }
        match star {
            Some((sp, st)) => {
                pi = sp;
                ti = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while p.get(pi) == Some(&'*') {
        pi += 1;
    }
    pi == p.len()
}

/// Removes the shortest (`longest == false`) or longest prefix of `text` matching `pattern`.
pub fn strip_prefix(text: &str, pattern: &str, longest: bool) -> String {
    let idx: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let order: Vec<usize> = if longest {
        idx.iter().rev().copied().collect()
    } else {
        idx.clone()
    };
    for i in order {
        if matches(pattern, &text[..i]) {
            return text[i..].to_string();
        }
    }
    text.to_string()
}

/// Removes the shortest or longest suffix of `text` matching `pattern`.
pub fn strip_suffix(text: &str, pattern: &str, longest: bool) -> String {
    let idx: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let order: Vec<usize> = if longest {
        idx.clone()
    } else {
        idx.iter().rev().copied().collect()
    };
    for i in order {
        if matches(pattern, &text[i..]) {
            return text[..i].to_string();
        }
    }
    text.to_string()
}

/// Escapes glob metacharacters so quoted text matches literally.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            o.push('\\');
        }
        o.push(c);
    }
    o
}
