//! Virtual time: the engine's only clock, plus the time formats kubectl and the API use.
//!
//! Time is milliseconds since the Unix epoch, advanced only by the simulation. Nothing here
//! reads the host clock (Architecture Invariant: the engine never reads the wall clock).

use std::fmt;

/// A point in virtual time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

/// The virtual clock's default start: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: Time = Time(1_767_225_600_000);

impl Time {
    pub fn plus_ms(self, ms: u64) -> Time {
        Time(self.0.saturating_add(ms))
    }

    pub fn plus_secs(self, s: u64) -> Time {
        self.plus_ms(s.saturating_mul(1000))
    }

    pub fn secs(self) -> u64 {
        self.0 / 1000
    }

    /// `2026-01-01T00:00:05Z`: metav1.Time serialisation (second precision).
    pub fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.0 / 1000);
        if !(0..=9999).contains(&y) {
            return format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
        }
        // Digits by hand: every write stamps a time (events two), and `format!` with six
        // padded fields costs more than the rest of a small Event put together.
        let mut b = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                b[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, 4, y as u64);
        put(5, 2, mo.into());
        put(8, 2, d.into());
        put(11, 2, h);
        put(14, 2, mi);
        put(17, 2, s);
        // ASCII digits and separators only: always UTF-8.
        String::from_utf8(b.to_vec()).unwrap_or_default()
    }

    /// `2026-01-01T00:00:05.123456Z`: metav1.MicroTime serialisation (events, leases).
    pub fn rfc3339_micro(self) -> String {
        let (y, mo, d, h, mi, s) = civil(self.0 / 1000);
        let micros = (self.0 % 1000) * 1000;
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}Z")
    }

    /// `Thu, 01 Jan 2026 00:00:05 +0000`: the RFC1123Z form `kubectl describe` prints.
    pub fn rfc1123z(self) -> String {
        let secs = self.0 / 1000;
        let (y, mo, d, h, mi, s) = civil(secs);
        let days = secs / 86_400;
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
        let month = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ][(mo - 1) as usize];
        format!("{weekday}, {d:02} {month} {y:04} {h:02}:{mi:02}:{s:02} +0000")
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac]Z`. Returns `None` for anything else.
    pub fn parse_rfc3339(s: &str) -> Option<Time> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u64>().ok();
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let rest = &s[19..];
        let mut ms = 0;
        let rest = if let Some(frac) = rest.strip_prefix('.') {
            let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
            let mut padded = digits.clone();
            padded.push_str("000");
            ms = padded[..3].parse::<u64>().ok()?;
            &frac[digits.len()..]
        } else {
            rest
        };
        if rest != "Z"
            || !(1..=12).contains(&mo)
            || !(1..=31).contains(&d)
            || h > 23
            || mi > 59
            || sec > 60
        {
            return None;
        }
        let days = days_from_civil(y as i64, mo as u32, d as u32);
        let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + mi * 60 + sec;
        Some(Time(secs * 1000 + ms))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

/// Days since the epoch → (year, month, day, hour, minute, second) in UTC.
fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// kubectl's AGE (apimachinery `duration.HumanDuration`), from a signed millisecond span.
pub fn human_duration(ms: i64) -> String {
    if ms < -1000 {
        return "<invalid>".to_string();
    }
    if ms < 0 {
        return "0s".to_string();
    }
    let secs = ms / 1000;
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if days < 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        };
    }
    if days < 730 {
        return format!("{days}d");
    }
    let years = days / 365;
    if years < 8 {
        let d = days % 365;
        return if d == 0 {
            format!("{years}y")
        } else {
            format!("{years}y{d}d")
        };
    }
    format!("{years}y")
}

/// Parses a Go duration (`300ms`, `30s`, `1m30s`, `2h`, `0`) into milliseconds.
/// A bare number is rejected, as Go's `time.ParseDuration` does (except `0`).
pub fn parse_go_duration(s: &str) -> Result<u64, String> {
    let err = || format!("time: invalid duration \"{s}\"");
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(err());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| err())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            "h" => 3_600_000.0,
            "" => return Err(format!("time: missing unit in duration \"{s}\"")),
            u => return Err(format!("time: unknown unit \"{u}\" in duration \"{s}\"")),
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Ok(total.round() as u64)
}

/// Formats milliseconds as Go's `time.Duration.String()` does (`5m0s`, `30s`, `1h0m0s`, `500ms`).
pub fn go_duration_string(ms: u64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let h = ms / 3_600_000;
    let m = (ms % 3_600_000) / 60_000;
    let s = (ms % 60_000) as f64 / 1000.0;
    let secs = if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    };
    if h > 0 {
        format!("{h}h{m}m{secs}s")
    } else if m > 0 {
        format!("{m}m{secs}s")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339() {
        assert_eq!(DEFAULT_START.rfc3339(), "2026-01-01T00:00:00Z");
        assert_eq!(DEFAULT_START.rfc1123z(), "Thu, 01 Jan 2026 00:00:00 +0000");
        let t = DEFAULT_START.plus_ms(86_400_000 * 59 + 3_723_456);
        assert_eq!(t.rfc3339(), "2026-03-01T01:02:03Z");
        assert_eq!(t.rfc3339_micro(), "2026-03-01T01:02:03.456000Z");
        assert_eq!(Time::parse_rfc3339("2026-03-01T01:02:03.456Z"), Some(t));
        assert_eq!(
            Time::parse_rfc3339("2026-03-01T01:02:03Z"),
            Some(Time(t.0 - 456))
        );
        assert_eq!(Time::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn rfc3339_digits_equal_the_formatted_fields() {
        // Epoch, leap days, year ends, the default start, and far years (5 digits).
        let mut times = vec![0, 951_782_400_000, 4_107_542_399_000, 253_402_300_800_000];
        let mut t = 0u64;
        while t < 4_200_000_000_000 {
            times.push(t);
            t += 7_919_999_999;
        }
        for ms in times {
            let (y, mo, d, h, mi, s) = civil(ms / 1000);
            let want = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
            assert_eq!(Time(ms).rfc3339(), want);
        }
    }

    #[test]
    fn human_duration_matches_apimachinery_table() {
        let cases = [
            (-2000, "<invalid>"),
            (-500, "0s"),
            (0, "0s"),
            (59_000, "59s"),
            (119_999, "119s"),
            (120_000, "2m"),
            (123_000, "2m3s"),
            (599_000, "9m59s"),
            (600_000, "10m"),
            (179 * 60_000, "179m"),
            (3 * 3_600_000, "3h"),
            (7 * 3_600_000 + 59 * 60_000, "7h59m"),
            (8 * 3_600_000, "8h"),
            (47 * 3_600_000, "47h"),
            (48 * 3_600_000, "2d"),
            (191 * 3_600_000, "7d23h"),
            (8 * 86_400_000, "8d"),
            (729 * 86_400_000, "729d"),
            (730 * 86_400_000, "2y"),
            (731 * 86_400_000, "2y1d"),
            (8 * 365 * 86_400_000, "8y"),
        ];
        for (ms, want) in cases {
            assert_eq!(human_duration(ms), want, "{ms}");
        }
    }

    #[test]
    fn go_durations_round_trip() {
        assert_eq!(parse_go_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_go_duration("500ms"), Ok(500));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert!(parse_go_duration("30").is_err());
        assert!(parse_go_duration("5x").is_err());
        assert_eq!(go_duration_string(300_000), "5m0s");
        assert_eq!(go_duration_string(30_000), "30s");
        assert_eq!(go_duration_string(3_600_000), "1h0m0s");
        assert_eq!(go_duration_string(1_500), "1.5s");
    }
}
