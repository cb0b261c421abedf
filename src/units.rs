//! Durations (`250ms`, `30s`, `2m`) and rates (`50/s`, `600/m`, `1000/h`).

use std::fmt;

/// A duration in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub fn millis(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

/// Parses `N ms|s|m` (whole numbers, or decimals for `s` and `m`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = split_unit(t);
    let factor: f64 = match unit {
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "" => {
            return Err(format!(
                "`{t}` has no unit; write it as milliseconds, seconds or minutes, e.g. `{t}s`"
            ));
        }
        "h" => {
            return Err(format!(
                "`{t}`: hours are not supported; use minutes, e.g. `{}m`",
                num.parse::<f64>().map(|h| h * 60.0).unwrap_or(60.0)
            ));
        }
        other => {
            return Err(format!(
                "`{t}` has an unknown unit `{other}`; use `ms`, `s` or `m`"
            ));
        }
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{t}` is not a duration; write e.g. `250ms`, `30s` or `2m`"))?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{t}` must be a positive duration"));
    }
    let ms = value * factor;
    if ms > 1e15 {
        return Err(format!(
            "`{t}` is too long: a duration is at most 10^15 milliseconds (about 31,700 years)"
        ));
    }
    if ms.fract() != 0.0 {
        return Err(format!("`{t}` is not a whole number of milliseconds"));
    }
    Ok(Duration(ms as u64))
}

/// A rate: so many events per period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rate {
    pub count: u64,
    pub per: RatePeriod,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RatePeriod {
    Second,
    Minute,
    Hour,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per {
            RatePeriod::Second => "s",
            RatePeriod::Minute => "m",
            RatePeriod::Hour => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Parses `N/s`, `N/m` or `N/h`.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let t = text.trim();
    let Some((count, unit)) = t.split_once('/') else {
        return Err(format!(
            "`{t}` is not a rate; write it as a count per second, minute or hour, e.g. `50/s`"
        ));
    };
    let count: u64 = count
        .trim()
        .parse()
        .map_err(|_| format!("`{t}`: `{}` is not a whole number", count.trim()))?;
    if count == 0 {
        return Err(format!("`{t}`: a rate of zero lets nothing through"));
    }
    let per = match unit.trim() {
        "s" | "sec" | "second" => RatePeriod::Second,
        "m" | "min" | "minute" => RatePeriod::Minute,
        "h" | "hour" => RatePeriod::Hour,
        other => {
            return Err(format!(
                "`{t}`: unknown period `{other}`; use `/s`, `/m` or `/h`"
            ));
        }
    };
    Ok(Rate { count, per })
}

fn split_unit(t: &str) -> (&str, &str) {
    let idx = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    (t[..idx].trim(), t[idx..].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration(250)));
        assert_eq!(parse_duration("30s"), Ok(Duration(30_000)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration(120_000)));
        assert!(parse_duration("30").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("30 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("1h").unwrap_err().contains("minutes"));
        assert!(parse_duration("s").is_err());
        assert!(
            parse_duration("0.5ms")
                .unwrap_err()
                .contains("not a whole number of milliseconds")
        );
        // Too long is said as such, not as a fraction it is not.
        assert!(
            parse_duration("9999999999999m")
                .unwrap_err()
                .contains("too long")
        );
        assert_eq!(Duration(120_000).to_string(), "120s");
        assert_eq!(Duration(1500).to_string(), "1500ms");
    }

    #[test]
    fn rates() {
        assert_eq!(
            parse_rate("50/s"),
            Ok(Rate {
                count: 50,
                per: RatePeriod::Second
            })
        );
        assert_eq!(parse_rate("600 / m").unwrap().per, RatePeriod::Minute);
        assert!(parse_rate("50").is_err());
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("x/s").is_err());
        assert!(parse_rate("5/d").unwrap_err().contains("unknown period"));
    }
}
