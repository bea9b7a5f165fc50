//! Case bundles: one file that carries a case to another analyst. It
//! holds the decisions (the case), the exceptions in force, the rule
//! files used (their text and a SHA-256 of each) and a SHA-256 of every
//! input log. Opened elsewhere with the same logs, it gives the same
//! alerts with the same ids and states; with other logs it says exactly
//! which file is missing, extra or different.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Case;

pub const FORMAT: &str = "vigil-case-bundle";
pub const VERSION: u32 = 1;
/// A rule file larger than this is not a rule file.
const MAX_RULE_FILE: u64 = 8 << 20;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Bundle {
    pub format: String,
    pub version: u32,
    pub created: DateTime<Utc>,
    pub created_by: String,
    pub case: Case,
    /// The exceptions in force, as one TOML file.
    pub exceptions: String,
    pub rules: Vec<FileText>,
    pub logs: Vec<FileHash>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileText {
    /// Relative to the rule folder it was found in.
    pub path: String,
    pub sha256: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileHash {
    /// Relative to the log folder (or the file's own name).
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// How the logs at hand differ from those a bundle was made over.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Differences {
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    /// (path, what differs)
    pub changed: Vec<(String, String)>,
}

impl Differences {
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.changed.is_empty()
    }

    /// One line per difference.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.missing.iter().map(|p| format!("missing: {p}")));
        out.extend(self.extra.iter().map(|p| format!("not in the bundle: {p}")));
        out.extend(
            self.changed
                .iter()
                .map(|(p, why)| format!("different: {p} ({why})")),
        );
        out
    }
}

/// Every file under the paths, with the name it is known by: relative to
/// the folder given, or its own file name for a file given alone. Hidden
/// files and folders are left out, as the readers leave them out.
pub fn files_under(paths: &[PathBuf]) -> Vec<(String, PathBuf)> {
    fn walk(root: &Path, p: &Path, out: &mut Vec<(String, PathBuf)>) {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden && p != root {
            return;
        }
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            entries.sort();
            for e in entries {
                walk(root, &e, out);
            }
        } else if p.is_file() {
            let name = if p == root {
                p.file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
            } else {
                p.strip_prefix(root)
                    .unwrap_or(p)
                    .to_string_lossy()
                    .replace('\\', "/")
            };
            out.push((name, p.to_path_buf()));
        }
    }
    let mut out = Vec::new();
    for p in paths {
        walk(p, p, &mut out);
    }
    out
}

/// SHA-256 of a file, read in blocks, and its size.
pub fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        h.update(&buf[..n]);
    }
    Ok((total, hex(&h.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_logs(logs: &[PathBuf]) -> Result<Vec<FileHash>> {
    files_under(logs)
        .into_iter()
        .map(|(path, p)| {
            let (bytes, sha256) =
                hash_file(&p).with_context(|| format!("reading {}", p.display()))?;
            Ok(FileHash {
                path,
                bytes,
                sha256,
            })
        })
        .collect()
}

/// The rule files under the paths, as the loader would read them:
/// exception folders are not rules.
pub fn rule_texts(paths: &[PathBuf]) -> Result<Vec<FileText>> {
    let mut out = Vec::new();
    for (path, p) in files_under(paths) {
        if path.split('/').any(|part| part == "exceptions") {
            continue;
        }
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if size > MAX_RULE_FILE {
            continue;
        }
        let bytes = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        // A file that is not text is not a rule file the loader reads.
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        out.push(FileText {
            path,
            sha256: hex(&Sha256::digest(text.as_bytes())),
            text,
        });
    }
    Ok(out)
}

/// How the logs under `logs` differ from those recorded.
pub fn compare(recorded: &[FileHash], logs: &[PathBuf]) -> Result<Differences> {
    let here = hash_logs(logs)?;
    let mut d = Differences::default();
    for r in recorded {
        match here.iter().find(|h| h.path == r.path) {
            None => d.missing.push(r.path.clone()),
            Some(h) if h.bytes != r.bytes => d.changed.push((
                r.path.clone(),
                format!("{} bytes, the bundle's had {}", h.bytes, r.bytes),
            )),
            Some(h) if h.sha256 != r.sha256 => d
                .changed
                .push((r.path.clone(), "same size, other content".into())),
            Some(_) => {}
        }
    }
    for h in &here {
        if !recorded.iter().any(|r| r.path == h.path) {
            d.extra.push(h.path.clone());
        }
    }
    Ok(d)
}

pub fn read(path: &Path) -> Result<Bundle> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let b: Bundle = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not a case bundle: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if b.format != FORMAT {
        bail!(
            "{}: not a case bundle (format `{}`)",
            path.display(),
            b.format
        );
    }
    if b.version > VERSION {
        bail!(
            "{}: a bundle of version {}; this Vigil reads up to {VERSION}",
            path.display(),
            b.version
        );
    }
    for r in &b.rules {
        if hex(&Sha256::digest(r.text.as_bytes())) != r.sha256 {
            bail!(
                "{}: rule file {} does not match its hash",
                path.display(),
                r.path
            );
        }
    }
    Ok(b)
}

/// Writes a bundle's rules, exceptions and case under `dir`, for the
/// console to open. A case already there is the analyst's work since
/// the bundle was opened before: it is kept.
pub fn unpack(b: &Bundle, dir: &Path) -> Result<(PathBuf, PathBuf, PathBuf)> {
    let rules = dir.join("rules");
    for r in &b.rules {
        // A path from the bundle never leaves its folder.
        let safe: PathBuf = r
            .path
            .split('/')
            .filter(|p| !p.is_empty() && *p != "." && *p != "..")
            .collect();
        let to = rules.join(safe);
        super::store::write_atomic(&to, r.text.as_bytes())
            .with_context(|| format!("writing {}", to.display()))?;
    }
    let exceptions = dir.join("exceptions");
    std::fs::create_dir_all(&exceptions)?;
    if !b.exceptions.trim().is_empty() {
        super::store::write_atomic(&exceptions.join("bundle.toml"), b.exceptions.as_bytes())?;
    }
    let case = dir.join("case.json");
    if !case.exists() {
        let text = serde_json::to_string_pretty(&b.case)?;
        super::store::write_atomic(&case, text.as_bytes())?;
    }
    Ok((rules, exceptions, case))
}

/// Where a bundle is unpacked: under the user's data directory, one
/// folder per bundle (its case and rules hashed).
pub fn unpack_dir(b: &Bundle) -> Option<PathBuf> {
    let mut h = Sha256::new();
    for r in &b.rules {
        h.update(r.sha256.as_bytes());
    }
    for l in &b.logs {
        h.update(l.sha256.as_bytes());
    }
    h.update(b.created.to_rfc3339().as_bytes());
    let id = hex(&h.finalize());
    directories::ProjectDirs::from("", "", "vigil")
        .map(|d| d.data_dir().join("bundles").join(&id[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_each_file_missing_extra_or_changed() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(logs.join("sub")).unwrap();
        std::fs::write(logs.join("a.json"), "{}\n").unwrap();
        std::fs::write(logs.join("sub/b.json"), "{\"x\":1}\n").unwrap();
        std::fs::write(logs.join(".hidden"), "x").unwrap();
        let recorded = hash_logs(std::slice::from_ref(&logs)).unwrap();
        assert_eq!(
            recorded.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
            ["a.json", "sub/b.json"]
        );
        assert!(
            compare(&recorded, std::slice::from_ref(&logs))
                .unwrap()
                .is_empty()
        );
        std::fs::write(logs.join("sub/b.json"), "{\"x\":2}\n").unwrap();
        std::fs::write(logs.join("c.json"), "{}\n").unwrap();
        std::fs::remove_file(logs.join("a.json")).unwrap();
        let d = compare(&recorded, &[logs]).unwrap();
        assert_eq!(d.missing, ["a.json"]);
        assert_eq!(d.extra, ["c.json"]);
        assert_eq!(d.changed[0].0, "sub/b.json");
        assert_eq!(d.changed[0].1, "same size, other content");
    }

    #[test]
    fn unpacked_rule_paths_never_leave_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let text = "x".to_string();
        let b = Bundle {
            format: FORMAT.into(),
            version: VERSION,
            created: Utc::now(),
            created_by: String::new(),
            case: Case::default(),
            exceptions: String::new(),
            rules: vec![FileText {
                path: "../../escape.toml".into(),
                sha256: hex(&Sha256::digest(text.as_bytes())),
                text,
            }],
            logs: Vec::new(),
        };
        let (rules, _, _) = unpack(&b, dir.path()).unwrap();
        assert!(rules.join("escape.toml").exists());
        assert!(!dir.path().parent().unwrap().join("escape.toml").exists());
    }
}
