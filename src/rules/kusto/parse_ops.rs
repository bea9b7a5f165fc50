//! `parse`, `parse-where` and `parse-kv`: text taken apart into typed
//! columns.

use super::ast::{Expr, ParsePiece};
use super::exec::{Exec, Table, add_column, typed};
use super::value::{KV, date_from_str};

impl Exec<'_> {
    /// Sets `columns` of each row from what `take` finds in the row's
    /// text (`None` when the text does not parse). Without
    /// `keep_unparsed`, rows whose text does not parse, or whose values
    /// are not of their column's type, are dropped.
    fn extract_into(
        &mut self,
        mut t: Table,
        expr: &Expr,
        columns: &[(String, String)],
        keep_unparsed: bool,
        take: impl Fn(&str) -> Option<Vec<Option<String>>>,
    ) -> Table {
        let mut parsed = Vec::with_capacity(t.rows.len());
        for i in 0..t.rows.len() {
            let text = self.ev(expr, &t.rows[i]).to_text();
            let mut raws = take(&text);
            let mut ok = raws.is_some();
            let r = &mut t.rows[i];
            for (k, (name, ty)) in columns.iter().enumerate() {
                let v = match raws.as_mut().and_then(|v| v[k].take()) {
                    Some(s) => typed_text(s, ty),
                    None if ty == "string" => KV::Str(String::new()),
                    None => KV::Null,
                };
                ok &= !(v.is_null() && ty != "string");
                r.set(name, v);
            }
            parsed.push(ok);
        }
        if !keep_unparsed {
            let mut flags = parsed.into_iter();
            t.rows.retain(|_| flags.next().unwrap_or(false));
        }
        for (name, _) in columns {
            add_column(&mut t.columns, name);
        }
        t
    }

    /// `parse` (and `parse-where`, with `only_parsed`); `regex` holds the
    /// flags of `kind=regex`.
    pub(super) fn parse(
        &mut self,
        t: Table,
        expr: &Expr,
        pieces: &[ParsePiece],
        regex: Option<&str>,
        only_parsed: bool,
    ) -> Table {
        let flags: String = regex
            .unwrap_or("")
            .chars()
            .filter(|c| matches!(c, 'i' | 'm' | 's' | 'U'))
            .collect();
        let regex = regex.is_some();
        let mut re = String::from("^");
        let mut columns = Vec::new();
        for p in pieces {
            match p {
                ParsePiece::Text(s) if regex => re.push_str(s),
                ParsePiece::Text(s) => re.push_str(&regex::escape(s)),
                ParsePiece::Star => re.push_str(".*?"),
                ParsePiece::Column(name, ty) => {
                    re.push_str("(.*?)");
                    columns.push((name.clone(), ty.clone()));
                }
            }
        }
        re.push('$');
        let compiled = regex::Regex::new(&format!("(?s{flags}){re}")).ok();
        let n = columns.len();
        self.extract_into(t, expr, &columns, !only_parsed, |text| {
            let caps = compiled.as_ref()?.captures(text)?;
            Some(
                (1..=n)
                    .map(|k| caps.get(k).map(|m| m.as_str().to_string()))
                    .collect(),
            )
        })
    }

    pub(super) fn parse_kv(
        &mut self,
        t: Table,
        expr: &Expr,
        columns: &[(String, String)],
        options: &[(String, String)],
    ) -> Table {
        let kv = KvSyntax::new(options);
        self.extract_into(t, expr, columns, true, |text| {
            let found = kv.pairs(text);
            Some(
                columns
                    .iter()
                    .map(|(name, _)| {
                        found
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                    })
                    .collect(),
            )
        })
    }
}

/// Text converted to a column type, null when it does not convert.
fn typed_text(s: String, ty: &str) -> KV {
    match ty {
        "long" | "int" => s.trim().parse().map_or(KV::Null, KV::Long),
        "real" | "double" | "decimal" => s.trim().parse().map_or(KV::Null, KV::Real),
        "datetime" | "date" => date_from_str(&s).map_or(KV::Null, KV::Date),
        "bool" | "boolean" => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => KV::Bool(true),
            "false" | "0" => KV::Bool(false),
            _ => KV::Null,
        },
        "timespan" => super::functions::parse_span(&s).map_or(KV::Null, KV::Span),
        "dynamic" => serde_json::from_str(&s).map_or(KV::Str(s), KV::Dyn),
        _ => typed(KV::Str(s), ty),
    }
}

/// How `parse-kv` reads keys and values: given delimiters, any
/// non-alphanumeric character, or a regular expression.
struct KvSyntax {
    pair: Option<Vec<char>>,
    kv: Option<Vec<char>>,
    quotes: Vec<(char, char)>,
    escapes: Vec<char>,
    greedy: bool,
    regex: Option<regex::Regex>,
}

impl KvSyntax {
    fn new(options: &[(String, String)]) -> KvSyntax {
        let mut s = KvSyntax {
            pair: None,
            kv: None,
            quotes: Vec::new(),
            escapes: Vec::new(),
            greedy: false,
            regex: None,
        };
        for (k, v) in options {
            match k.as_str() {
                "pair_delimiter" => s.pair = Some(v.chars().collect()),
                "kv_delimiter" => s.kv = Some(v.chars().collect()),
                "quote" => {
                    let c: Vec<char> = v.chars().collect();
                    match c.as_slice() {
                        [q] => s.quotes.push((*q, *q)),
                        [open, close] => s.quotes.push((*open, *close)),
                        _ => {}
                    }
                }
                "escape" => s.escapes.extend(v.chars().next()),
                "greedy" => s.greedy = v.eq_ignore_ascii_case("true"),
                "regex" => s.regex = regex::Regex::new(v).ok(),
                _ => {}
            }
        }
        s
    }

    /// The keys and values in `text`, the first of each key kept.
    fn pairs(&self, text: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |k: String, v: String| {
            if !out.iter().any(|(x, _)| *x == k) {
                out.push((k, v));
            }
        };
        if let Some(re) = &self.regex {
            for c in re.captures_iter(text) {
                if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                    push(k.as_str().trim().into(), v.as_str().trim().into());
                }
            }
            return out;
        }
        let chars: Vec<char> = text.chars().collect();
        match (&self.pair, &self.kv) {
            (Some(pair), Some(kv)) => {
                let mut i = 0;
                while i < chars.len() {
                    let (key, next) = self.token(&chars, i, kv, false);
                    let (_, pair_end) = self.token(&chars, i, pair, false);
                    if !starts(&chars, next, kv) || pair_end < next {
                        // No value: skip to the next pair.
                        i = pair_end + pair.len();
                        continue;
                    }
                    let (value, end) = self.token(&chars, next + kv.len(), pair, self.greedy);
                    push(key.trim().into(), value.trim().into());
                    i = end + pair.len();
                }
            }
            _ => {
                // Any non-alphanumeric character separates keys and values.
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let mut i = 0;
                while i < chars.len() {
                    if !word(chars[i]) {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < chars.len() && word(chars[i]) {
                        i += 1;
                    }
                    let key: String = chars[start..i].iter().collect();
                    let mut j = i;
                    while j < chars.len() && !word(chars[j]) && !self.is_quote(chars[j]) {
                        j += 1;
                    }
                    if j == i || j >= chars.len() {
                        continue;
                    }
                    let (value, end) = if self.is_quote(chars[j]) {
                        self.quoted(&chars, j)
                    } else {
                        let mut e = j;
                        while e < chars.len() && word(chars[e]) {
                            e += 1;
                        }
                        (chars[j..e].iter().collect(), e)
                    };
                    push(key, value);
                    i = end;
                }
            }
        }
        out
    }

    fn is_quote(&self, c: char) -> bool {
        self.quotes.iter().any(|(o, _)| *o == c)
    }

    /// A quoted text starting at `at`: its content (escapes applied) and
    /// the position after the closing quote.
    fn quoted(&self, chars: &[char], at: usize) -> (String, usize) {
        let close = self
            .quotes
            .iter()
            .find(|(o, _)| *o == chars[at])
            .map_or(chars[at], |(_, c)| *c);
        let mut out = String::new();
        let mut i = at + 1;
        while i < chars.len() {
            let c = chars[i];
            if self.escapes.contains(&c) && i + 1 < chars.len() {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            if c == close {
                return (out, i + 1);
            }
            out.push(c);
            i += 1;
        }
        (out, i)
    }

    /// Text from `at` up to `stop` (outside quotes); with `greedy`, up to
    /// the last `stop` before the next key.
    fn token(&self, chars: &[char], at: usize, stop: &[char], greedy: bool) -> (String, usize) {
        let mut i = at;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i < chars.len() && self.is_quote(chars[i]) {
            let (s, end) = self.quoted(chars, i);
            let mut e = end;
            while e < chars.len() && !starts(chars, e, stop) {
                e += 1;
            }
            return (s, e);
        }
        let mut out = String::new();
        while i < chars.len() && !starts(chars, i, stop) {
            out.push(chars[i]);
            i += 1;
        }
        if let (true, Some(kv)) = (greedy, &self.kv) {
            // Keep going while the next piece holds no key-value delimiter.
            while i < chars.len() {
                let from = (i + stop.len()).min(chars.len());
                let mut j = from;
                while j < chars.len() && !starts(chars, j, stop) {
                    j += 1;
                }
                let piece = &chars[from..j];
                if (0..piece.len()).any(|k| starts(piece, k, kv)) {
                    break;
                }
                out.extend(stop.iter());
                out.extend(piece.iter());
                i = j;
            }
        }
        (out, i)
    }
}

fn starts(chars: &[char], at: usize, pat: &[char]) -> bool {
    !pat.is_empty() && chars.len() >= at + pat.len() && chars[at..at + pat.len()] == *pat
}
