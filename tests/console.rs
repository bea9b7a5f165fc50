//! The console end to end: the real binary in a pseudo-terminal, keys
//! typed, the screen read back through a terminal emulator.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Console {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Console {
    fn start(args: &[&str], cols: u16, rows: u16) -> Console {
        Console::start_with(args, &[], cols, rows)
    }

    fn start_with(args: &[&str], env: &[(&str, &str)], cols: u16, rows: u16) -> Console {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_vigil"));
        cmd.args(args);
        // A test that names no case writes none.
        if !args.contains(&"--case") {
            cmd.arg("--read-only");
        }
        cmd.cwd(env!("CARGO_MANIFEST_DIR"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        // Settings come from the test's own config directory, if any.
        cmd.env("XDG_CONFIG_HOME", "/nonexistent");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("vigil starts");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pty.master.try_clone_reader().expect("reader");
        let (s, r) = (screen.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().expect("writer");
        // The master must outlive the child's use of the terminal.
        std::mem::forget(pty.master);
        Console {
            screen,
            raw,
            writer,
            child,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "`{what}` never appeared; the screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keys(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("typing");
        self.writer.flush().expect("typing");
    }

    /// Whether any cell on screen showing `what` is drawn in bold: the
    /// console's mark for matched fields.
    fn bold_cell_with(&self, what: &str) -> bool {
        let parser = self.screen.lock().unwrap();
        let screen = parser.screen();
        let (rows, cols) = screen.size();
        (0..rows).any(|r| {
            let line: String = (0..cols)
                .map(|c| screen.cell(r, c).map_or(" ".into(), |x| x.contents()))
                .map(|s| if s.is_empty() { " ".to_string() } else { s })
                .collect();
            line.find(what).is_some_and(|at| {
                let col = line[..at].chars().count() as u16;
                screen.cell(r, col).is_some_and(|c| c.bold())
            })
        })
    }

    /// Moves the alert list's selection from the top down to the first
    /// row showing `what`.
    fn select_alert(&mut self, what: &str) {
        self.keys(b"g");
        std::thread::sleep(Duration::from_millis(200));
        let screen = self.text();
        let row = screen
            .lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what} is not listed:\n{screen}"));
        let first = screen
            .lines()
            .position(|l| l.contains("Severity"))
            .expect("a header row")
            + 1;
        for _ in first..row {
            self.keys(b"j");
        }
    }

    /// Presses `key` until `what` is on screen, at most `times` times.
    fn press_until(&mut self, key: &[u8], what: &str, times: usize) -> String {
        for _ in 0..times {
            let text = self.text();
            if text.contains(what) {
                return text;
            }
            self.keys(key);
            std::thread::sleep(Duration::from_millis(60));
        }
        self.wait_for(what)
    }

    fn quit(mut self) {
        self.keys(b"q");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "vigil exited with {status:?}");
                break;
            }
            assert!(Instant::now() < deadline, "vigil did not quit on q");
            std::thread::sleep(Duration::from_millis(50));
        }
        // Leaving the alternate screen gives the analyst's shell back. The
        // last bytes may still be on their way from the terminal.
        let restored = || {
            let raw = self.raw.lock().unwrap();
            raw.windows(8).any(|w| w == b"\x1b[?1049l")
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while !restored() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(restored(), "the terminal was not restored");
    }
}

#[test]
fn the_demo_opens_with_the_seed_detections_and_enter_shows_the_evidence() {
    let mut c = Console::start(&[], 160, 40);
    let screen = c.wait_for("alerts; detection took");
    for seed in [
        "Azure Storage Account Key Regenerated",
        "Azure Key Vault Modified",
        "Excessive Secret or Key Retrieval from Azure Key Vault",
        "Storage Account Keys Listed from an Address",
    ] {
        assert!(screen.contains(seed), "{seed} missing from:\n{screen}");
    }
    assert!(screen.contains("20 alerts"), "{screen}");

    // Sort by rule name (three columns before the first-seen time), go to
    // the top, down to the key vault rule, and open it.
    c.keys(b"SSS");
    c.wait_for("Rule▲");
    c.select_alert("Azure Key Vault Modified");
    c.keys(b"\r");
    let screen = c.wait_for("Evidence 1 of");
    assert!(screen.contains("Azure Key Vault Modified"), "{screen}");
    assert!(screen.contains("Matched:"), "{screen}");
    // The matched operation name is highlighted in the event itself.
    // The event is read from its file in the background.
    c.wait_for("\"MICROSOFT.KEYVAULT/VAULTS/WRITE\"");
    assert!(
        c.bold_cell_with("\"MICROSOFT.KEYVAULT/VAULTS/WRITE\""),
        "the matched value is not highlighted:\n{}",
        c.text()
    );

    // The default theme draws in colour (the mono test relies on it).
    let coloured = c.raw.lock().unwrap().windows(6).any(|w| w == b"[38;5;");
    assert!(coloured, "no colour drawn");
    c.keys(b"?");
    c.wait_for("next/previous evidence event");
    c.keys(b"x");
    c.keys(b"\x1b");
    c.wait_for("Severity");
    c.quit();
}

#[test]
fn hostile_log_text_reaches_the_screen_escaped_and_never_as_sequences() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("hostile.ndjson");
    // An activity record that the storage-key rule fires on, whose caller
    // carries a clipboard-write and a clear-screen sequence.
    let line = serde_json::json!({
        "time": "2026-03-02T10:00:00Z",
        "resourceId": "/SUBSCRIPTIONS/1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.STORAGE/STORAGEACCOUNTS/ST1",
        "operationName": "MICROSOFT.STORAGE/STORAGEACCOUNTS/REGENERATEKEY/ACTION",
        "category": "Administrative",
        "resultType": "Success",
        "callerIpAddress": "198.51.100.7",
        "caller": "evil\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[2J@contoso-lab.com",
        "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "evil\u{1b}]52;c;aGVsbG8=\u{7}\u{1b}[2J@contoso-lab.com"}},
        "properties": {"eventCategory": "Administrative"}
    });
    std::fs::write(&log, format!("{line}\n")).expect("write log");
    let path = log.to_string_lossy().to_string();
    let mut c = Console::start(&[path.as_str()], 160, 40);
    let screen = c.wait_for("alerts; detection took");
    assert!(
        screen.contains("Azure Storage Account Key Regenerated"),
        "{screen}"
    );
    assert!(
        screen.contains("\\x1b]52;c;"),
        "not shown escaped:\n{screen}"
    );
    // The list cuts the account short; the evidence shows the whole
    // value, both sequences included, escaped.
    c.keys(b"\r");
    c.wait_for("Evidence 1 of");
    let screen = c.wait_for(r#""evil\x1b]52;c;aGVsbG8=\x07\x1b[2J@contoso-lab.com""#);
    assert!(screen.contains("Evidence 1 of"), "{screen}");
    let raw = c.raw.lock().unwrap().clone();
    let has = |seq: &[u8]| raw.windows(seq.len()).any(|w| w == seq);
    assert!(
        !has(b"\x1b]52;"),
        "the clipboard sequence reached the terminal"
    );
    assert!(
        !has(b"\x1b[2J@"),
        "the clear-screen sequence reached the terminal"
    );
    // Copying the value sends it to the analyst's clipboard as base64
    // inside one OSC 52 sequence, and nothing else of it.
    c.press_until(b"j", " caller ─", 60);
    c.keys(b"y");
    c.wait_for("copied caller");
    let copy = b"\x1b]52;c;ZXZpbBtdNTI7YzthR1ZzYkc4PQcbWzJKQGNvbnRvc28tbGFiLmNvbQ==\x07";
    let raw = c.raw.lock().unwrap().clone();
    assert!(
        raw.windows(copy.len()).any(|w| w == copy),
        "the value was not copied"
    );
    assert!(!raw.windows(5).any(|w| w == b"\x1b[2J@"));
    c.quit();
}

#[test]
fn the_phished_accounts_timeline_shows_sign_in_key_listing_and_secret_burst_in_order() {
    let mut c = Console::start(&[], 160, 50);
    c.wait_for("alerts; detection took");
    c.keys(b"SSS");
    c.wait_for("Rule▲");
    c.select_alert("Azure Key Vault Modified");
    c.keys(b"t");
    let screen = c.wait_for("Timeline UPN megan.ross@contoso-lab.com");
    let line_of = |what: &dyn Fn(&str) -> bool, name: &str| {
        screen
            .lines()
            .position(what)
            .unwrap_or_else(|| panic!("no {name} line in:\n{screen}"))
    };
    let sign_in = line_of(
        &|l| l.contains("signin") && l.contains("185.220.101.47"),
        "attacker sign-in",
    );
    let listing = line_of(&|l| l.contains("LISTKEYS"), "key listing");
    let burst = line_of(&|l| l.contains("SecretGet"), "secret burst");
    assert!(
        sign_in < listing && listing < burst,
        "out of order:\n{screen}"
    );
    // The evidence of the alert it was opened from is marked inline.
    assert!(screen.contains("● Azure Key Vault Modified"), "{screen}");
    // Enter on a line opens that event; Esc comes back to the timeline.
    c.keys(b"\r");
    c.wait_for("Event: fixtures/demo/");
    c.keys(b"\x1b");
    c.wait_for("Timeline UPN");
    // Only sign-ins.
    c.keys(b"f");
    let screen = c.wait_for("(only activity)");
    assert!(screen.contains("LISTKEYS"), "{screen}");
    c.quit();
}

#[test]
fn a_checked_step_and_a_closed_alert_are_still_there_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.json");
    let case = case.to_string_lossy().to_string();
    let open = |c: &mut Console| {
        c.wait_for("alerts; detection took");
        c.keys(b"SSS");
        c.wait_for("Rule▲");
        c.select_alert("Azure Key Vault Modified");
    };

    let mut c = Console::start(&["--case", &case], 160, 40);
    open(&mut c);
    c.keys(b"i");
    let screen = c.wait_for(" steps done");
    assert!(
        screen.contains("Checklist Azure Key Vault Modified"),
        "{screen}"
    );
    assert!(screen.contains("0 of "), "{screen}");
    assert!(screen.contains("[ ] "), "{screen}");
    // The first step is selected; check it.
    c.keys(b" ");
    let screen = c.wait_for("1 of ");
    assert!(screen.contains("[x] "), "{screen}");
    // Back to the list: close the alert as a false positive with a note.
    c.keys(b"\x1b");
    c.wait_for("Severity");
    c.keys(b"x");
    c.wait_for("with which reason?");
    c.keys(b"3");
    c.wait_for("incorrect logic; note");
    c.keys(b"change ticket CHG-1042\r");
    c.wait_for("closed 1 alert");
    let screen = c.wait_for("closed FP-l");
    assert!(screen.contains("closed FP-l"), "{screen}");
    c.quit();

    let saved = std::fs::read_to_string(&case).expect("the case was written");
    assert!(saved.contains("CHG-1042"), "{saved}");
    assert!(saved.contains("false_positive_incorrect_logic"), "{saved}");

    let mut c = Console::start(&["--case", &case], 160, 40);
    open(&mut c);
    let screen = c.text();
    assert!(screen.contains("closed FP-l"), "{screen}");
    c.keys(b"i");
    let screen = c.wait_for(" steps done");
    assert!(screen.contains("1 of "), "{screen}");
    assert!(screen.contains("[x] "), "{screen}");
    c.quit();
}

/// Moves the alert list's selection to the first row showing all of
/// `what`.
fn select_row_with(c: &mut Console, what: &[&str]) {
    c.keys(b"g");
    std::thread::sleep(Duration::from_millis(200));
    let screen = c.text();
    let row = screen
        .lines()
        .position(|l| what.iter().all(|w| l.contains(w)))
        .unwrap_or_else(|| panic!("no row with {what:?}:\n{screen}"));
    let first = screen
        .lines()
        .position(|l| l.contains("Severity"))
        .expect("a header row")
        + 1;
    for _ in first..row {
        c.keys(b"j");
    }
}

#[test]
fn an_exception_made_from_the_evidence_closes_the_rotation_alert_and_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.json").to_string_lossy().to_string();
    let exceptions = dir.path().join("exceptions");
    let exc = exceptions.to_string_lossy().to_string();
    let args = ["--case", case.as_str(), "--exceptions", exc.as_str()];
    let rotation = ["Azure Storage Account Key Regenerated", "20.50.2.10"];

    let mut c = Console::start(&args, 160, 45);
    c.wait_for("alerts; detection took");
    select_row_with(&mut c, &rotation);
    c.keys(b"\r");
    c.wait_for("Evidence 1 of");
    // The automation identity's application id, in the event itself.
    c.press_until(b"j", "identity.claims.appid ", 150);
    c.keys(b"e");
    let screen = c.wait_for("Preview: would close 1 alert;");
    assert!(
        screen.contains("this rule: Azure Storage Account Key Regenerated"),
        "{screen}"
    );
    assert!(
        screen.contains("8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f"),
        "{screen}"
    );
    // Down to the comment: the condition, scope, alerts, expiry, why.
    c.keys(b"\x1b[B\x1b[B\x1b[B\x1b[B");
    c.keys(b"nightly rotation, runbook KR-12");
    c.wait_for("nightly rotation, runbook KR-12█");
    c.keys(b"\r");
    // Saved, then its rule runs again with it and its alert is closed.
    c.wait_for("exception applied: 1 alerts closed");
    c.keys(b"1");
    select_row_with(&mut c, &rotation);
    let screen = c.wait_for("excepted BP");
    let row = screen
        .lines()
        .find(|l| rotation.iter().all(|w| l.contains(w)))
        .unwrap_or_default();
    assert!(row.contains("excepted BP"), "{screen}");
    c.quit();

    let files: Vec<_> = std::fs::read_dir(&exceptions)
        .expect("an exceptions folder")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 1, "one file per exception");
    let text = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(text.contains("runbook KR-12"), "{text}");

    // After a restart the exception applies from the start and the
    // alert's state is where it was left.
    let c = Console::start(&args, 160, 45);
    let screen = c.wait_for("alerts; detection took");
    let row = screen
        .lines()
        .find(|l| rotation.iter().all(|w| l.contains(w)))
        .unwrap_or_default()
        .to_string();
    assert!(row.contains("excepted BP"), "{screen}");
    c.quit();

    // The command line agrees.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "hunt",
            "fixtures/demo",
            "--format",
            "ndjson",
            "--exceptions",
            &exc,
        ])
        .output()
        .expect("vigil hunt runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 in force, 0 expired, 0 not loaded; 1 alerts suppressed"),
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 19);
}

#[test]
fn a_rule_file_that_does_not_load_is_shown_where_it_breaks_and_a_rule_runs_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("broken.toml");
    std::fs::write(
        &bad,
        "[rule]\nname = \"Half a rule\"\nquery = \"event.action:(\"\n[[[\n",
    )
    .expect("write rule");
    let bad = bad.to_string_lossy().to_string();
    let mut c = Console::start(&["--rules", "rules", "--rules", &bad], 160, 40);
    c.wait_for("alerts; detection took");
    c.keys(b"5");
    let screen = c.wait_for("1 file not loaded");
    assert!(screen.contains("not loaded"), "{screen}");
    assert!(screen.contains("broken.toml:"), "{screen}");
    // The first rule runs again; its alerts come back.
    c.keys(b"g");
    c.keys(b"R");
    c.wait_for("ran again:");
    c.keys(b"1");
    c.wait_for("20 alerts");
    c.quit();
}

#[test]
fn keys_and_a_theme_from_the_config_directory_apply_and_a_bad_line_is_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let conf = dir.path().join("vigil");
    std::fs::create_dir_all(conf.join("themes")).unwrap();
    std::fs::write(
        conf.join("keys.toml"),
        "[global]\n\"Z\" = \"go-rules\"\n\"ctrl-y\" = \"no-such-action\"\n",
    )
    .unwrap();
    std::fs::write(conf.join("config.toml"), "theme = \"mono\"\n").unwrap();
    let home = dir.path().to_string_lossy().to_string();
    let mut c = Console::start_with(&[], &[("XDG_CONFIG_HOME", &home)], 160, 40);
    let screen = c.wait_for("settings:");
    assert!(screen.contains("keys.toml:3:"), "{screen}");
    assert!(screen.contains("`no-such-action` is no action"), "{screen}");
    c.wait_for("Severity");
    c.keys(b"Z");
    c.wait_for("Details");
    // The palette runs a command by name: back to the alerts.
    c.keys(b":go-al\r");
    c.wait_for("Severity");
    // Mono has no colour: no foreground colour is ever set.
    let raw = c.raw.lock().unwrap().clone();
    // Row 38 is a cursor move (`[38;1H`), not a colour (`[38;5;n`).
    let at = raw
        .windows(6)
        .position(|w| w == b"[38;5;" || w == b"[38;2;");
    assert!(
        at.is_none(),
        "a foreground colour was drawn: {:?}",
        at.map(
            |i| String::from_utf8_lossy(&raw[i.saturating_sub(40)..(i + 40).min(raw.len())])
                .to_string()
        )
    );
    c.quit();
}

#[test]
fn a_hang_up_or_a_kill_gives_the_terminal_back_and_releases_the_case() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.json");
    let case_arg = case.to_string_lossy().to_string();
    for signal in ["-HUP", "-TERM"] {
        let mut c = Console::start(&["--case", &case_arg], 120, 30);
        c.wait_for("Severity");
        let lock = dir.path().join("case.json.lock");
        assert!(lock.exists(), "the case is locked while open");
        let pid = c.child.process_id().expect("a pid").to_string();
        let killed = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        while c.child.try_wait().ok().flatten().is_none() {
            assert!(
                Instant::now() < deadline,
                "{signal} did not end the console"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let raw = c.raw.lock().unwrap().clone();
        assert!(
            raw.windows(8).any(|w| w == b"\x1b[?1049l"),
            "{signal}: the terminal was not restored"
        );
        assert!(!lock.exists(), "{signal}: the lock was left behind");
    }
}

/// A test that fails midway must not leave its console running.
impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The terminal going away (an SSH session dropped: every handle on the
/// pseudo-terminal closed, as when the process holding them exits) ends
/// the console. The holder is this test binary run again, which starts
/// the console, prints its pid and exits.
#[test]
fn the_console_ends_when_its_terminal_goes_away() {
    const HOLDER: &str = "VIGIL_TEST_PTY_HOLDER";
    if std::env::var_os(HOLDER).is_some() {
        let c = Console::start(&[], 100, 30);
        c.wait_for("alerts; detection took");
        println!("pid {}", c.child.process_id().expect("a pid"));
        std::io::stdout().flush().ok();
        // Exit without closing anything tidily: the kernel closes it all.
        std::process::exit(0);
    }
    let out = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "the_console_ends_when_its_terminal_goes_away",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER, "1")
        .output()
        .expect("the holder runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // The harness prints the test's name on the same line.
    let pid: u32 = text
        .split("pid ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no pid from the holder: {text}"));
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    let deadline = Instant::now() + Duration::from_secs(10);
    // A zombie has no command line left: it ended, waiting to be reaped.
    let running = || std::fs::read(proc_dir.join("cmdline")).is_ok_and(|c| !c.is_empty());
    while running() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let still = running();
    if still {
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    }
    assert!(
        !still,
        "the console kept running after its terminal went away"
    );
}

/// A left click at a screen cell (0-based), pressed and released, as a
/// terminal reports it in SGR mouse mode.
fn click(col: usize, row: usize) -> Vec<u8> {
    format!(
        "\x1b[<0;{};{}M\x1b[<0;{};{}m",
        col + 1,
        row + 1,
        col + 1,
        row + 1
    )
    .into_bytes()
}

#[test]
fn with_the_mouse_on_a_click_selects_and_opens_an_alert_and_a_tab_opens_its_pane() {
    let mut c = Console::start(&["--mouse"], 140, 36);
    let screen = c.wait_for("alerts; detection took");
    let row = screen
        .lines()
        .position(|l| l.contains("Azure Key Vault Modified"))
        .unwrap_or_else(|| panic!("not listed:\n{screen}"));
    // The first click selects, the second on the same row opens.
    c.keys(&click(10, row));
    std::thread::sleep(Duration::from_millis(150));
    c.keys(&click(10, row));
    let screen = c.wait_for("Evidence 1 of");
    assert!(screen.contains("Azure Key Vault Modified"), "{screen}");
    let tabs = screen.lines().next().unwrap_or_default().to_string();
    let at = tabs.find("5 Rules").expect("a rules tab");
    c.keys(&click(tabs[..at].chars().count() + 2, 0));
    c.wait_for("files not loaded");
    let raw = c.raw.lock().unwrap().clone();
    assert!(
        raw.windows(8).any(|w| w == b"\x1b[?1000h"),
        "mouse reports were not asked for"
    );
    c.quit();
}

#[test]
fn without_the_mouse_flag_the_terminal_keeps_its_text_selection() {
    let c = Console::start(&[], 100, 30);
    c.wait_for("alerts; detection took");
    let raw = c.raw.lock().unwrap().clone();
    assert!(
        !raw.windows(8).any(|w| w == b"\x1b[?1000h"),
        "mouse reports taken without being asked"
    );
    c.quit();
}

#[test]
fn w_writes_the_case_report_beside_the_case_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.json");
    let case_arg = case.to_string_lossy().to_string();
    let mut c = Console::start(&["--case", &case_arg], 140, 36);
    c.wait_for("alerts; detection took");
    c.keys(b"W");
    c.wait_for("report written to");
    c.quit();
    let report = std::fs::read_to_string(dir.path().join("case.report.md")).expect("a report");
    assert!(report.starts_with("# Case report"), "{report}");
    assert!(report.contains("| all | 20 |"), "{report}");
}

#[test]
fn a_case_bundle_opens_with_the_same_alerts_and_states() {
    let dir = tempfile::tempdir().expect("temp dir");
    let case = dir.path().join("case.json");
    std::fs::write(
        &case,
        r#"{"version":1,"alerts":{"eaff80d03e317bfd":{"status":"closed","classification":"true_positive"}}}"#,
    )
    .unwrap();
    let exc = dir.path().join("exceptions");
    std::fs::create_dir(&exc).unwrap();
    std::fs::write(
        exc.join("rotation.toml"),
        "[[exception]]\nname = \"rotation\"\nrules = [\"dddc2eed-292a-4386-afc5-c23093d9cea3\"]\n\
         [[exception.entry]]\nfield = \"source.ip\"\noperator = \"is\"\nvalue = \"20.50.2.10\"\n",
    )
    .unwrap();
    let bundle = dir.path().join("case.bundle.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["case", "export", "fixtures/demo", "--case"])
        .arg(&case)
        .arg("--exceptions")
        .arg(&exc)
        .arg("--out")
        .arg(&bundle)
        .output()
        .expect("export runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bundle = bundle.to_string_lossy().to_string();
    let into = dir.path().join("unpacked").to_string_lossy().to_string();
    let c = Console::start(
        &["case", "open", &bundle, "fixtures/demo", "--into", &into],
        160,
        40,
    );
    let screen = c.wait_for("alerts; detection took");
    let row = |what: &[&str]| {
        screen
            .lines()
            .find(|l| what.iter().all(|w| l.contains(w)))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        row(&["Azure Key Vault Modified", "megan.ross"]).contains("closed TP"),
        "{screen}"
    );
    assert!(
        row(&["Azure Storage Account Key Regenerated", "20.50.2.10"]).contains("excepted"),
        "{screen}"
    );
    assert!(screen.contains("20 alerts"), "{screen}");
    c.quit();
}

#[test]
fn a_terminal_too_small_says_so() {
    let c = Console::start(&[], 60, 20);
    c.wait_for("at least 80x24");
    c.quit();
}

#[test]
fn without_a_terminal_the_console_points_to_the_headless_commands() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("vigil runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
    assert!(err.contains("vigil hunt"), "{err}");
}
