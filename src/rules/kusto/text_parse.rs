//! Text taken apart or made safe: file paths (`parse_path`), one CSV
//! record (`parse_csv`), regex text quoted (`regex_quote`), and which of
//! several terms a text has (`has_any_index`).

use serde_json::{Map, Value as Json};

use super::eval::has;
use super::value::KV;

pub(super) const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("parse_path", 1, 1),
    ("parse_csv", 1, 1),
    ("regex_quote", 1, 1),
    ("has_any_index", 2, 2),
];

/// The parts of a file path, Windows or POSIX, as Kusto names them.
fn path_parts(p: &str) -> Json {
    let (scheme, rest) = match p.split_once("://") {
        Some((s, r)) if s.len() > 1 && s.bytes().all(|b| b.is_ascii_alphabetic()) => (s, r),
        _ => ("", p),
    };
    let is_sep = |c: char| c == '/' || c == '\\';
    let (dir, file) = match rest.rfind(is_sep) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    // `file.exe:stream.exe` names an alternate data stream of file.exe.
    let (file, stream) = file.split_once(':').unwrap_or((file, ""));
    // A long path (`\\?\C:\...`) has its drive after the prefix.
    let bare = dir.strip_prefix(r"\\?\").unwrap_or(dir);
    let b = bare.as_bytes();
    let root = if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        &bare[..2]
    } else {
        ""
    };
    let dir_name = match dir.rfind(is_sep) {
        Some(i) => &dir[i + 1..],
        None if dir == root => "",
        None => dir,
    };
    let extension = match file.rfind('.') {
        Some(i) if i + 1 < file.len() => &file[i + 1..],
        _ => "",
    };
    let mut m = Map::new();
    for (k, v) in [
        ("Scheme", scheme),
        ("RootPath", root),
        ("DirectoryPath", dir),
        ("DirectoryName", dir_name),
        ("Filename", file),
        ("Extension", extension),
        ("AlternateDataStreamName", stream),
    ] {
        m.insert(k.to_string(), Json::String(v.to_string()));
    }
    Json::Object(m)
}

/// The fields of the first record of CSV text: quoted fields may hold
/// commas, doubled quotes and line breaks.
fn csv_fields(s: &str) -> Vec<Json> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(Json::String(std::mem::take(&mut field))),
            (false, '\r' | '\n') => break,
            (false, c) => field.push(c),
        }
    }
    fields.push(Json::String(field));
    fields
}

/// Regex text that matches `s` literally: every character but letters,
/// digits and `_` is escaped, as RE2 quotes text.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii() {
            out.push(c);
        } else if c == '\0' {
            out.push_str(r"\x00");
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

pub(super) fn call(name: &str, args: &[KV]) -> Option<KV> {
    if !FUNCTIONS.iter().any(|(n, _, _)| *n == name) {
        return None;
    }
    let text = |i: usize| match args.get(i) {
        None | Some(KV::Null) => None,
        Some(v) => Some(v.to_text()),
    };
    Some(match name {
        "parse_path" => text(0).map_or(KV::Null, |p| KV::Dyn(path_parts(&p))),
        "parse_csv" => text(0).map_or(KV::Null, |s| KV::Dyn(Json::Array(csv_fields(&s)))),
        "regex_quote" => text(0).map_or(KV::Null, |s| KV::Str(quote(&s))),
        "has_any_index" => {
            let hay = text(0).unwrap_or_default();
            let terms: Vec<String> = match args.get(1) {
                Some(KV::Dyn(Json::Array(items))) => {
                    items.iter().map(|j| KV::from_json(j).to_text()).collect()
                }
                _ => return Some(KV::Null),
            };
            let at = terms
                .iter()
                .position(|t| !t.is_empty() && has(&hay, t, false));
            KV::Long(at.map_or(-1, |i| i as i64))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(p: &str) -> Json {
        path_parts(p)
    }

    #[test]
    fn paths_split_as_the_documentation_shows() {
        let row = |scheme: &str,
                   root: &str,
                   dir: &str,
                   name: &str,
                   file: &str,
                   ext: &str,
                   ads: &str| {
            json!({"Scheme": scheme, "RootPath": root, "DirectoryPath": dir, "DirectoryName": name,
                   "Filename": file, "Extension": ext, "AlternateDataStreamName": ads})
        };
        assert_eq!(
            parts(r"C:\temp\file.txt"),
            row("", "C:", r"C:\temp", "temp", "file.txt", "txt", "")
        );
        assert_eq!(
            parts(r"temp\file.txt"),
            row("", "", "temp", "temp", "file.txt", "txt", "")
        );
        assert_eq!(
            parts("file://C:/temp/file.txt:some.exe"),
            row(
                "file", "C:", "C:/temp", "temp", "file.txt", "txt", "some.exe"
            )
        );
        assert_eq!(
            parts(r"\\shared\users\temp\file.txt.gz"),
            row(
                "",
                "",
                r"\\shared\users\temp",
                "temp",
                "file.txt.gz",
                "gz",
                ""
            )
        );
        assert_eq!(
            parts("/usr/lib/temp/file.txt"),
            row("", "", "/usr/lib/temp", "temp", "file.txt", "txt", "")
        );
    }

    #[test]
    fn csv_quotes_and_regex_quoting() {
        assert_eq!(
            call("parse_csv", &[KV::Str(r#"aaa,"b""bb",ccc"#.into())]),
            Some(KV::Dyn(json!(["aaa", "b\"bb", "ccc"])))
        );
        assert_eq!(
            call("parse_csv", &[KV::Str("a,\"x,y\"\nb,c".into())]),
            Some(KV::Dyn(json!(["a", "x,y"])))
        );
        assert_eq!(
            call("regex_quote", &[KV::Str("(so$me.Te^xt)".into())]),
            Some(KV::Str(r"\(so\$me\.Te\^xt\)".into()))
        );
    }

    #[test]
    fn has_any_index_gives_the_first_term_found() {
        let terms = KV::Dyn(json!(["value", "text", "nothing"]));
        assert_eq!(
            call(
                "has_any_index",
                &[KV::Str("this is an example text".into()), terms.clone()]
            ),
            Some(KV::Long(1))
        );
        assert_eq!(
            call("has_any_index", &[KV::Str("no match".into()), terms]),
            Some(KV::Long(-1))
        );
    }
}
