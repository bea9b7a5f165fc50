//! Exception files: TOML a team reads in review, one `[[exception]]` per
//! exception with who made it, when and why. A folder of them (and of
//! Kibana exception-list exports, `.ndjson`) is loaded whole; a file or an
//! exception that cannot be used is reported where it breaks and the
//! rest still apply.
//!
//! ```toml
//! [[exception]]
//! id = "vigil-5f0c1e2a9b3d4c77"
//! name = "Nightly key rotation by the automation identity"
//! comment = "Runbook KR-12 rotates storage keys at 02:00 every night"
//! created_by = "megan"
//! created_at = "2026-12-02T10:15:00Z"
//! expires = "2027-03-01T00:00:00Z"
//! rules = ["1e0b832e-957e-43ae-b319-db82d228c908"]   # or "all", "by list"
//! close_alerts = true
//!
//! [[exception.entry]]
//! field = "azure.activitylogs.identity.claims.appid"
//! operator = "is"
//! value = "3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b"
//! ```

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use toml::Spanned;

use super::{Entry, Exception, Op, Scope};
use crate::rules::elastic::located;
use crate::rules::rule::Located;

/// The list exceptions made in Vigil belong to, unless imported.
pub const DEFAULT_LIST: &str = "vigil-exceptions";

/// Exception files larger than this are refused rather than read.
const MAX_FILE: u64 = 16 << 20;

#[derive(Debug, Default)]
pub struct Loaded {
    pub exceptions: Vec<Exception>,
    /// The file each exception came from, in the same order.
    pub files: Vec<PathBuf>,
    pub errors: Vec<Located>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    exception: Vec<RawException>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    id: Option<String>,
    list: Option<String>,
    name: Spanned<String>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    created_by: String,
    created_at: Option<Spanned<toml::Value>>,
    expires: Option<Spanned<toml::Value>>,
    rules: Option<Spanned<toml::Value>>,
    #[serde(default)]
    close_alerts: bool,
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    field: Spanned<String>,
    operator: Spanned<String>,
    value: Option<Spanned<toml::Value>>,
    #[serde(default)]
    entry: Vec<RawEntry>,
}

/// Reads exceptions from a file or, for a folder, from every `.toml` and
/// `.ndjson` file in it (not below), in name order.
pub fn load(path: &Path) -> Loaded {
    let mut out = Loaded::default();
    let mut files = Vec::new();
    match std::fs::read_dir(path) {
        Ok(rd) => {
            for e in rd.filter_map(Result::ok) {
                let p = e.path();
                let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
                if p.is_file() && matches!(ext, "toml" | "ndjson") {
                    files.push(p);
                }
            }
            files.sort();
        }
        Err(_) if path.is_file() => files.push(path.to_path_buf()),
        // No folder yet is no exceptions yet.
        Err(_) if !path.exists() => return out,
        Err(e) => {
            out.errors.push(problem(path, format!("cannot read: {e}")));
            return out;
        }
    }
    for f in files {
        load_file(&f, &mut out);
    }
    out
}

fn problem(path: &Path, message: String) -> Located {
    Located {
        file: path.display().to_string(),
        line: 0,
        column: 0,
        message,
        excerpt: String::new(),
    }
}

fn load_file(path: &Path, out: &mut Loaded) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE {
        out.errors.push(problem(
            path,
            format!("{size} bytes: larger than exception files are read"),
        ));
        return;
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            out.errors.push(problem(path, format!("cannot read: {e}")));
            return;
        }
    };
    let name = path.display().to_string();
    let (found, errors) = if path.extension().is_some_and(|x| x == "ndjson") {
        super::elastic::import(&name, &text)
    } else {
        from_toml(&name, &text)
    };
    for e in found {
        out.exceptions.push(e);
        out.files.push(path.to_path_buf());
    }
    out.errors.extend(errors);
}

/// Exceptions from several files or folders, in the order given.
pub fn load_all(paths: &[PathBuf]) -> Loaded {
    let mut out = Loaded::default();
    for p in paths {
        let l = load(p);
        out.exceptions.extend(l.exceptions);
        out.files.extend(l.files);
        out.errors.extend(l.errors);
    }
    out
}

/// The exceptions of one TOML file, and the problems of those that cannot
/// be used.
pub fn from_toml(file: &str, text: &str) -> (Vec<Exception>, Vec<Located>) {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            return (
                Vec::new(),
                vec![located(file, text, at, e.message().trim().to_string())],
            );
        }
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for r in raw.exception {
        match build(r) {
            Ok(e) => found.push(e),
            Err((at, why)) => errors.push(located(file, text, at, why)),
        }
    }
    (found, errors)
}

type Problem = (usize, String);

fn build(r: RawException) -> Result<Exception, Problem> {
    let at = r.name.span().start;
    let time = |v: &Option<Spanned<toml::Value>>, what: &str| -> Result<_, Problem> {
        match v {
            None => Ok(None),
            Some(s) => time_of(s.get_ref())
                .map(Some)
                .ok_or((s.span().start, format!("{what} is not a date and time"))),
        }
    };
    let created_at = time(&r.created_at, "created_at")?;
    let expires = time(&r.expires, "expires")?;
    let scope = match &r.rules {
        None => Scope::All,
        Some(s) => match s.get_ref() {
            toml::Value::String(all) if all == "all" => Scope::All,
            toml::Value::String(by) if by == "by list" => Scope::ByList,
            toml::Value::Array(items) => Scope::Rules(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or((s.span().start, "rules lists rule ids as strings".into()))?,
            ),
            _ => {
                return Err((
                    s.span().start,
                    "rules is \"all\", \"by list\" (the rules that use the list) \
                     or a list of rule ids"
                        .into(),
                ));
            }
        },
    };
    if r.entry.is_empty() {
        return Err((
            at,
            "an exception needs at least one [[exception.entry]]".into(),
        ));
    }
    let entries = r
        .entry
        .into_iter()
        .map(entry)
        .collect::<Result<Vec<_>, _>>()?;
    let name = r.name.into_inner();
    Ok(Exception {
        // A hand-written exception with no id gets one from what it says,
        // the same on every load.
        id: r.id.unwrap_or_else(|| stable_id(&name, &entries)),
        list: r.list.unwrap_or_else(|| DEFAULT_LIST.to_string()),
        name,
        comment: r.comment,
        created_by: r.created_by,
        created_at: created_at.unwrap_or(DateTime::UNIX_EPOCH),
        expires,
        scope,
        close_alerts: r.close_alerts,
        entries,
    })
}

fn time_of(v: &toml::Value) -> Option<DateTime<Utc>> {
    let text = match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        _ => return None,
    };
    crate::model::parse_time(&text)
}

fn entry(r: RawEntry) -> Result<Entry, Problem> {
    let op_at = r.operator.span().start;
    let one = |r: &RawEntry| -> Result<String, Problem> {
        match r.value.as_ref().map(|v| (v.span().start, v.get_ref())) {
            Some((_, toml::Value::String(s))) => Ok(s.clone()),
            Some((
                at,
                toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_),
            )) => Err((at, "write the value as a string, in quotes".into())),
            Some((at, _)) => Err((at, format!("`{}` takes one value", r.operator.get_ref()))),
            None => Err((op_at, format!("`{}` needs a value", r.operator.get_ref()))),
        }
    };
    let many = |r: &RawEntry| -> Result<Vec<String>, Problem> {
        match r.value.as_ref().map(|v| (v.span().start, v.get_ref())) {
            Some((at, toml::Value::Array(items))) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or((at, "list the values as strings".into())),
            Some((at, _)) => Err((
                at,
                format!("`{}` takes a list: [\"a\", \"b\"]", r.operator.get_ref()),
            )),
            None => Err((
                op_at,
                format!("`{}` needs a list of values", r.operator.get_ref()),
            )),
        }
    };
    let op = match r.operator.get_ref().as_str() {
        "is" => Op::Is(one(&r)?),
        "is not" => Op::IsNot(one(&r)?),
        "is one of" => Op::IsOneOf(many(&r)?),
        "is not one of" => Op::IsNotOneOf(many(&r)?),
        "matches" => Op::Matches(one(&r)?),
        "does not match" => Op::DoesNotMatch(one(&r)?),
        "exists" => Op::Exists,
        "does not exist" => Op::DoesNotExist,
        "nested" => {
            if r.entry.is_empty() {
                return Err((
                    op_at,
                    "`nested` needs [[exception.entry.entry]] conditions".into(),
                ));
            }
            Op::Nested(r.entry.into_iter().map(entry).collect::<Result<_, _>>()?)
        }
        other => {
            return Err((
                op_at,
                format!(
                    "unknown operator `{other}`: use is, is not, is one of, is not one of, \
                     matches, does not match, exists, does not exist or nested"
                ),
            ));
        }
    };
    let field = r.field.into_inner();
    if field.trim().is_empty() {
        return Err((op_at, "an entry needs a field".into()));
    }
    Ok(Entry { field, op })
}

/// An id no other exception has: the name, the time and the process
/// hashed.
pub fn new_id(name: &str) -> String {
    let mut h = crate::engine::alert::Fnv::new();
    h.write(name.as_bytes());
    let now = Utc::now();
    h.write(&now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    h.write(&std::process::id().to_le_bytes());
    format!("vigil-{:016x}", h.finish())
}

fn stable_id(name: &str, entries: &[Entry]) -> String {
    let mut h = crate::engine::alert::Fnv::new();
    h.write(name.as_bytes());
    for e in entries {
        h.write(e.describe().as_bytes());
    }
    format!("vigil-{:016x}", h.finish())
}

/// TOML text of some exceptions, laid out for review.
pub fn to_toml(list: &[Exception]) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out = String::new();
    for (n, e) in list.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str("[[exception]]\n");
        out.push_str(&format!("id = {}\n", q(&e.id)));
        if e.list != DEFAULT_LIST {
            out.push_str(&format!("list = {}\n", q(&e.list)));
        }
        out.push_str(&format!("name = {}\n", q(&e.name)));
        out.push_str(&format!("comment = {}\n", q(&e.comment)));
        out.push_str(&format!("created_by = {}\n", q(&e.created_by)));
        out.push_str(&format!("created_at = {}\n", q(&stamp(e.created_at))));
        if let Some(t) = e.expires {
            out.push_str(&format!("expires = {}\n", q(&stamp(t))));
        }
        match &e.scope {
            Scope::All => out.push_str("rules = \"all\"\n"),
            Scope::ByList => out.push_str("rules = \"by list\"\n"),
            Scope::Rules(ids) => out.push_str(&format!(
                "rules = [{}]\n",
                ids.iter().map(|i| q(i)).collect::<Vec<_>>().join(", ")
            )),
        }
        out.push_str(&format!("close_alerts = {}\n", e.close_alerts));
        write_entries(&mut out, &e.entries, "exception.entry");
    }
    out
}

fn write_entries(out: &mut String, entries: &[Entry], table: &str) {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    for en in entries {
        out.push_str(&format!("\n[[{table}]]\n"));
        out.push_str(&format!("field = {}\n", q(&en.field)));
        out.push_str(&format!("operator = {}\n", q(en.op.name())));
        match &en.op {
            Op::Is(v) | Op::IsNot(v) | Op::Matches(v) | Op::DoesNotMatch(v) => {
                out.push_str(&format!("value = {}\n", q(v)));
            }
            Op::IsOneOf(v) | Op::IsNotOneOf(v) => {
                out.push_str(&format!("value = {}\n", list(v)));
            }
            Op::Exists | Op::DoesNotExist => {}
            Op::Nested(inner) => write_entries(out, inner, &format!("{table}.entry")),
        }
    }
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Saves one exception as a file of its own in `dir`, so that a review
/// shows it alone; the write is atomic.
pub fn save(dir: &Path, e: &Exception) -> std::io::Result<PathBuf> {
    let slug: String = e
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    let tail: String =
        e.id.chars()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
    let path = dir.join(format!(
        "{}-{tail}.toml",
        if slug.is_empty() { "exception" } else { &slug }
    ));
    crate::case::store::write_atomic(&path, to_toml(std::slice::from_ref(e)).as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[exception]]
id = "vigil-1"
name = "Nightly rotation"
comment = "runbook KR-12"
created_by = "megan"
created_at = "2026-12-02T10:15:00Z"
expires = 2027-03-01T00:00:00Z
rules = ["r1", "r2"]
close_alerts = true

[[exception.entry]]
field = "user.name"
operator = "is"
value = "svc-rotate"

[[exception.entry]]
field = "source.ip"
operator = "is one of"
value = ["20.50.2.10", "20.50.2.11"]

[[exception]]
name = "Broken one"

[[exception.entry]]
field = "user.name"
operator = "equals"
value = "x"

[[exception]]
name = "Everywhere"
rules = "all"

[[exception.entry]]
field = "props"
operator = "nested"

[[exception.entry.entry]]
field = "k"
operator = "matches"
value = "role*"
"#;

    #[test]
    fn a_file_loads_its_good_exceptions_and_locates_the_bad_one() {
        let (found, errors) = from_toml("x.toml", SAMPLE);
        assert_eq!(found.len(), 2, "{errors:?}");
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!(
            (e.file.as_str(), e.line, e.column),
            ("x.toml", 27, 12),
            "{e:?}"
        );
        assert!(e.message.contains("unknown operator `equals`"), "{e:?}");
        let first = &found[0];
        assert_eq!(first.scope, Scope::Rules(vec!["r1".into(), "r2".into()]));
        assert!(first.close_alerts);
        assert_eq!(stamp(first.expires.unwrap()), "2027-03-01T00:00:00Z");
        assert_eq!(
            first.describe(),
            "user.name is svc-rotate AND source.ip is one of (20.50.2.10, 20.50.2.11)"
        );
        assert_eq!(found[1].scope, Scope::All);
        assert!(matches!(&found[1].entries[0].op, Op::Nested(inner) if inner.len() == 1));
    }

    #[test]
    fn written_exceptions_read_back_equal() {
        let (found, _) = from_toml("x.toml", SAMPLE);
        let text = to_toml(&found);
        let (again, errors) = from_toml("y.toml", &text);
        assert!(errors.is_empty(), "{errors:?}\n{text}");
        assert_eq!(again, found);
    }

    #[test]
    fn a_syntax_error_is_located_and_a_missing_folder_is_empty() {
        let (found, errors) = from_toml("bad.toml", "[[exception]]\nname = \"x\nfield");
        assert!(found.is_empty());
        assert_eq!(errors[0].line, 2, "{errors:?}");
        let none = load(Path::new("/nonexistent/exceptions"));
        assert!(none.exceptions.is_empty() && none.errors.is_empty());
    }

    #[test]
    fn saved_exceptions_are_one_file_each_and_load_from_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (found, _) = from_toml("x.toml", SAMPLE);
        let a = save(dir.path(), &found[0]).unwrap();
        let b = save(dir.path(), &found[1]).unwrap();
        assert_ne!(a, b);
        assert!(
            a.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("nightly-rotation-")
        );
        let loaded = load(dir.path());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let mut names: Vec<_> = loaded.exceptions.iter().map(|e| e.name.clone()).collect();
        names.sort();
        assert_eq!(names, ["Everywhere", "Nightly rotation"]);
    }
}
