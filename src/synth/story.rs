//! The demo scenario. Four days in a small tenant: an analyst's account is
//! phished, the attacker signs in from a new country, takes a directory role,
//! lists and regenerates storage account keys, adds itself to a Key Vault's
//! access policy and reads its secrets in a burst — among a few thousand
//! routine events, including the benign look-alikes each detection must
//! either catch as benign positives or ignore as near-misses:
//!
//! * key regeneration (`REGENERATEKEY`): nightly rotation by an automation
//!   identity fires the rule (benign positive); `Start` records and a failed
//!   attempt do not.
//! * Key Vault modified (`VAULTS/WRITE`): an admin's maintenance window fires
//!   it (benign positive); `Start` records, a failed write and a secret
//!   created through ARM do not.
//! * storage key enumeration (sign-in ⋈ listKeys ⋈ role management on one
//!   IP): only the attacker's address has all three; an admin who lists keys
//!   and another who manages roles do so from different addresses.
//! * Key Vault retrieval burst (≥ 10 reads of ≥ 2 kinds by one UPN in a
//!   minute): the attacker crosses it in two minutes; an admin's 9 reads and a
//!   script's 10 reads of one kind do not.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::cast::*;
use super::rng::Rng;
use super::{Actor, DOMAIN, Detail, Resource, SynthEvent};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

pub(super) fn at(day: i64, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    start() + Duration::days(day) + Duration::seconds(i64::from(h * 3600 + m * 60 + s))
}

pub(super) fn resource(group: &str, provider: &str, name: &str) -> Resource {
    Resource {
        group: group.into(),
        provider: provider.into(),
        name: name.into(),
    }
}

pub(super) fn storage(name: &str, group: &str) -> Resource {
    resource(group, "Microsoft.Storage/storageAccounts", name)
}

pub(super) fn vault(name: &str, group: &str) -> Resource {
    resource(group, "Microsoft.KeyVault/vaults", name)
}

/// An actor at an address.
#[derive(Clone)]
pub(super) struct Who {
    pub(super) actor: Actor,
    pub(super) ip: &'static str,
}

/// Where a sign-in comes from.
pub(super) struct From {
    pub(super) ip: &'static str,
    pub(super) geo: (&'static str, &'static str),
    pub(super) ua: &'static str,
}

fn actor(p: &Person, app: App) -> Actor {
    let seed = p
        .name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Actor {
        upn: Some(format!("{}@{DOMAIN}", p.name)),
        display: p.display.into(),
        object_id: Rng::new(seed).uuid(),
        app_id: app.id.into(),
        app_name: app.name.into(),
    }
}

fn identity(name: &str, object_id: &str, app_id: &str) -> Actor {
    Actor {
        upn: None,
        display: name.into(),
        object_id: object_id.into(),
        app_id: app_id.into(),
        app_name: name.into(),
    }
}

pub(super) fn who(p: &Person, app: App, ip: &'static str) -> Who {
    Who {
        actor: actor(p, app),
        ip,
    }
}

pub(super) struct Builder {
    pub(super) rng: Rng,
    pub(super) events: Vec<SynthEvent>,
}

impl Builder {
    pub(super) fn push(
        &mut self,
        time: DateTime<Utc>,
        who: &Who,
        resource: Option<Resource>,
        detail: Detail,
    ) {
        let id = self.rng.uuid();
        let correlation = self.rng.uuid();
        self.events.push(SynthEvent {
            time,
            id,
            correlation,
            actor: who.actor.clone(),
            ip: who.ip.into(),
            resource,
            detail,
        });
    }

    pub(super) fn signin(
        &mut self,
        time: DateTime<Utc>,
        p: &Person,
        app: App,
        error: u32,
        from: From,
    ) {
        let w = who(p, app, from.ip);
        self.push(
            time,
            &w,
            None,
            Detail::SignIn {
                app_id: app.id.into(),
                app_name: app.name.into(),
                resource: app.resource.into(),
                error,
                country: from.geo.0,
                city: from.geo.1,
                user_agent: from.ua.into(),
                interactive: true,
            },
        );
    }

    /// An ARM write or action: the activity log records a `Start` and then
    /// the final status, under one correlation id.
    pub(super) fn arm(
        &mut self,
        time: DateTime<Utc>,
        who: &Who,
        res: &Resource,
        arm: Arm,
        result: &'static str,
    ) {
        let correlation = self.rng.uuid();
        for (step, r) in [(0, "Start"), (1 + self.rng.below(3) as i64, result)] {
            let id = self.rng.uuid();
            let jitter = self.rng.below(300) as i64;
            self.events.push(SynthEvent {
                time: time + Duration::milliseconds(step * 400 + jitter),
                id,
                correlation: correlation.clone(),
                actor: who.actor.clone(),
                ip: who.ip.into(),
                resource: Some(res.clone()),
                detail: Detail::Activity {
                    operation: arm.op.to_uppercase(),
                    display: arm.display.into(),
                    result: r,
                },
            });
        }
    }

    pub(super) fn kv(
        &mut self,
        time: DateTime<Utc>,
        who: &Who,
        res: &Resource,
        op: &str,
        item: &str,
        client: &str,
    ) {
        let kind = if op.starts_with("Key") {
            "keys"
        } else if op.starts_with("Cert") {
            "certificates"
        } else {
            "secrets"
        };
        let uri = format!(
            "https://{}.vault.azure.net/{kind}/{item}?api-version=7.4",
            res.name
        );
        self.push(
            time,
            who,
            Some(res.clone()),
            Detail::KeyVault {
                operation: op.into(),
                status: 200,
                uri,
                client: client.into(),
            },
        );
    }

    pub(super) fn audit(
        &mut self,
        time: DateTime<Utc>,
        who: &Who,
        activity: &str,
        (category, operation_type): (&'static str, &'static str),
        (target, target_type): (&str, &'static str),
    ) {
        let target_id = self.rng.uuid();
        self.push(
            time,
            who,
            None,
            Detail::Audit {
                activity: activity.into(),
                category,
                service: "Core Directory",
                operation_type,
                result: "success",
                target_name: target.into(),
                target_id,
                target_type,
                target_upn: (target_type == "User").then(|| target.to_string()),
                modified: Vec::new(),
            },
        );
    }

    /// A user added to a directory role (name, template id, the tenant's
    /// object id for it). The role is named among the user's modified
    /// properties, as Entra ID writes it, not as a target of its own.
    pub(super) fn role_member(
        &mut self,
        time: DateTime<Utc>,
        who: &Who,
        member: &Person,
        (role, template, role_id): (&str, &str, &str),
    ) {
        let target_id = self.rng.uuid();
        let quoted = |s: &str| serde_json::Value::String(s.to_string()).to_string();
        self.push(
            time,
            who,
            None,
            Detail::Audit {
                activity: "Add member to role".into(),
                category: "RoleManagement",
                service: "Core Directory",
                operation_type: "Assign",
                result: "success",
                target_name: member.display.into(),
                target_id,
                target_type: "User",
                target_upn: Some(format!("{}@{DOMAIN}", member.name)),
                modified: vec![
                    ("Role.ObjectID", quoted(role_id)),
                    ("Role.DisplayName", quoted(role)),
                    ("Role.TemplateId", quoted(template)),
                ],
            },
        );
    }

    fn corp_ip(&mut self) -> &'static str {
        CORP_IPS[self.rng.below(CORP_IPS.len() as u64) as usize]
    }

    fn minute(&mut self) -> u32 {
        self.rng.below(60) as u32
    }
}

/// The demo scenario's events, in time order.
pub fn demo() -> Vec<SynthEvent> {
    let mut b = Builder {
        rng: Rng::new(0x5eed_2026_0302),
        events: Vec::new(),
    };
    for day in 0..4 {
        routine(&mut b, day);
    }
    attack(&mut b);
    near_misses(&mut b);
    super::aftermath::aftermath(&mut b);
    b.events
        .sort_by(|x, y| x.time.cmp(&y.time).then_with(|| x.id.cmp(&y.id)));
    b.events
}

fn rotation() -> Who {
    Who {
        actor: identity(
            "func-keyrotation",
            "3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b",
            "8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f",
        ),
        ip: AUTOMATION_IP,
    }
}

fn payments() -> Who {
    Who {
        actor: identity(
            "app-payments",
            "6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
            "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
        ),
        ip: APP_IP,
    }
}

fn routine(b: &mut Builder, day: i64) {
    signins(b, day);
    deployments(b, day);
    automation(b, day);
    vault_reads(b, day);
    directory_housekeeping(b, day);
}

/// Each person a handful of times a day, to a mix of apps, from the office
/// or from home; admins in the portal and the CLI from their own addresses.
fn signins(b: &mut Builder, day: i64) {
    for p in PEOPLE {
        for _ in 0..(5 + b.rng.below(8)) {
            let t = at(day, 7 + b.rng.below(11) as u32, b.minute(), b.minute());
            let office = b.rng.chance(60);
            let from = From {
                ip: if office { b.corp_ip() } else { p.home_ip },
                geo: if office {
                    ("US", "Seattle")
                } else {
                    (p.country, p.city)
                },
                ua: BROWSER,
            };
            let app = *b.rng.pick(APPS);
            let error = if b.rng.chance(4) {
                *b.rng.pick(&[50126u32, 50074, 50140])
            } else {
                0
            };
            b.signin(t, p, app, error, from);
        }
    }
    for name in ["alex.kim", "priya.natarajan"] {
        let p = person(name);
        let (m1, m2) = (b.rng.below(20) as u32, b.rng.below(20) as u32);
        let from = |ua| From {
            ip: p.home_ip,
            geo: ("US", p.city),
            ua,
        };
        b.signin(at(day, 8, 2 + m1, 5), p, PORTAL, 0, from(BROWSER));
        b.signin(at(day, 13, 10 + m2, 41), p, AZ_CLI, 0, from(CLI_UA));
    }
}

/// Developers shipping web apps a few times a day.
fn deployments(b: &mut Builder, day: i64) {
    for (i, p) in PEOPLE.iter().skip(3).take(8).enumerate() {
        for round in 0..(1 + b.rng.below(3) as u32) {
            let t = at(day, 9 + (i as u32 % 4) + 3 * round, b.minute(), b.minute());
            let site = resource(
                "rg-web",
                "Microsoft.Web/sites",
                ["app-contoso-api", "app-contoso-web", "app-contoso-jobs"][i % 3],
            );
            let dep = resource(
                "rg-web",
                "Microsoft.Resources/deployments",
                &format!("release-{day}-{i}-{round}"),
            );
            let at_office = |b: &mut Builder| who(p, PORTAL, b.corp_ip());
            let w = at_office(b);
            b.arm(t, &w, &site, SITE_WRITE, "Success");
            let w = at_office(b);
            b.arm(t + Duration::minutes(2), &w, &site, SITE_RESTART, "Success");
            let w = at_office(b);
            b.arm(t + Duration::minutes(5), &w, &dep, DEPLOYMENT, "Success");
        }
    }
}

/// The automation identity: nightly storage key rotation (a benign positive
/// of the key-regeneration rule) with the new key stored in Key Vault, and
/// build machines started in the morning and stopped at night.
fn automation(b: &mut Builder, day: i64) {
    let bot = rotation();
    let prod = vault("kv-contoso-prod", "rg-sec");
    for acct in [
        storage("stcontosologs02", "rg-logs"),
        storage("stcontosoweb03", "rg-web"),
    ] {
        let t = at(day, 2, 0, 5 + b.rng.below(40) as u32);
        b.arm(t, &bot, &acct, REGENERATE_KEY, "Success");
        b.arm(t + Duration::seconds(20), &bot, &acct, LIST_KEYS, "Success");
        let secret = format!("{}-key", acct.name);
        b.kv(
            t + Duration::seconds(30),
            &bot,
            &prod,
            "SecretSet",
            &secret,
            KV_SDK_NET,
        );
    }
    for vm in 0..10 {
        let res = resource(
            "rg-compute",
            "Microsoft.Compute/virtualMachines",
            &format!("vm-build-{vm:02}"),
        );
        let (m1, m2) = (b.rng.below(30) as u32, b.rng.below(30) as u32);
        b.arm(at(day, 6, m1, 0), &bot, &res, VM_START, "Success");
        b.arm(at(day, 20, m2, 0), &bot, &res, VM_DEALLOCATE, "Success");
    }
}

/// An application (a managed identity, so no UPN) reading its connection
/// string from two vaults; people opening a secret in the portal.
fn vault_reads(b: &mut Builder, day: i64) {
    let app = payments();
    let prod = vault("kv-contoso-prod", "rg-sec");
    let dev = vault("kv-contoso-dev", "rg-dev");
    for (res, every) in [(&prod, 5), (&dev, 10)] {
        for slot in 0..(24 * 60 / every) {
            let t = at(day, 0, 0, 0)
                + Duration::minutes(slot * every)
                + Duration::seconds(b.rng.below(50) as i64);
            b.kv(
                t,
                &app,
                res,
                "SecretGet",
                "payments-db-connection",
                KV_SDK_NET,
            );
        }
    }
    for p in PEOPLE.iter().take(6) {
        if b.rng.chance(50) {
            let w = who(p, PORTAL, p.home_ip);
            let t = at(day, 10 + b.rng.below(6) as u32, b.minute(), 3);
            b.kv(t, &w, &dev, "SecretList", "", "AzurePortal");
            let later = t + Duration::seconds(4);
            b.kv(later, &w, &dev, "SecretGet", "feature-flags", "AzurePortal");
        }
    }
}

/// Directory housekeeping by the security admin.
fn directory_housekeeping(b: &mut Builder, day: i64) {
    let priya = person("priya.natarajan");
    let admin = who(priya, PORTAL, priya.home_ip);
    for k in 0..(10 + b.rng.below(8)) {
        let t = at(day, 11 + (k as u32 % 6), b.minute(), 12);
        let target = &PEOPLE[b.rng.below(PEOPLE.len() as u64) as usize];
        let upn = format!("{}@{DOMAIN}", target.name);
        match k % 3 {
            0 => b.audit(
                t,
                &admin,
                "Update user",
                ("UserManagement", "Update"),
                (&upn, "User"),
            ),
            1 => b.audit(
                t,
                &admin,
                "Add member to group",
                ("GroupManagement", "Assign"),
                ("Finance Analysts", "Group"),
            ),
            _ => b.audit(
                t,
                &admin,
                "Reset user password",
                ("UserManagement", "Update"),
                (&upn, "User"),
            ),
        }
    }
}

fn attack(b: &mut Builder) {
    let megan = person("megan.ross");
    let fin = storage("stcontosofin01", "rg-data");
    let prod = vault("kv-contoso-prod", "rg-sec");
    let from = |ua| From {
        ip: ATTACKER_IP,
        geo: ("NL", "Amsterdam"),
        ua,
    };
    // Day 2: the phishing page relays Megan's sign-in (adversary in the
    // middle); the session comes from a country she never signs in from.
    b.signin(
        at(1, 14, 22, 10),
        megan,
        OFFICE_HOME,
        50074,
        from(ATTACKER_UA),
    );
    b.signin(at(1, 14, 22, 48), megan, OFFICE_HOME, 0, from(ATTACKER_UA));
    // Day 3: back with the stolen session.
    b.signin(at(2, 9, 2, 3), megan, PORTAL, 0, from(ATTACKER_UA));
    b.signin(at(2, 9, 3, 30), megan, AZ_CLI, 0, from(CLI_UA));
    let portal = who(megan, PORTAL, ATTACKER_IP);
    let cli = who(megan, AZ_CLI, ATTACKER_IP);
    // She makes her own account an Application Administrator, who can
    // add credentials to any application.
    b.role_member(
        at(2, 9, 5, 10),
        &portal,
        megan,
        (
            "Application Administrator",
            "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
            "4f6a2c1e-8b3d-4e5f-a1b2-c3d4e5f60718",
        ),
    );
    let assignment = resource(
        "rg-data",
        "Microsoft.Authorization/roleAssignments",
        "0b6c2d1e-4f3a-4b5c-8d7e-9f0a1b2c3d4e",
    );
    b.arm(
        at(2, 9, 6, 0),
        &cli,
        &assignment,
        ROLE_ASSIGNMENT,
        "Success",
    );
    b.arm(at(2, 9, 7, 12), &cli, &fin, LIST_KEYS, "Success");
    b.arm(at(2, 9, 9, 40), &cli, &fin, REGENERATE_KEY, "Success");
    b.arm(at(2, 9, 31, 2), &cli, &prod, VAULT_WRITE, "Success");
    // The burst: 14 reads of three kinds in 09:41, 11 of two kinds in 09:42,
    // then a trickle of 4 in 09:43.
    let minute1: &[(&str, &str)] = &[
        ("SecretList", ""),
        ("SecretGet", "sql-admin"),
        ("SecretGet", "storage-fin-key"),
        ("SecretGet", "payments-db-connection"),
        ("SecretGet", "sap-service-account"),
        ("KeyList", ""),
        ("KeyGet", "tde-key"),
        ("SecretGet", "github-deploy-token"),
        ("SecretGet", "smtp-relay"),
        ("SecretListVersions", "sql-admin"),
        ("SecretGet", "vpn-psk"),
        ("KeyGet", "signing-key"),
        ("SecretGet", "backup-encryption"),
        ("SecretGet", "feature-flags"),
    ];
    for (i, (op, item)) in minute1.iter().enumerate() {
        b.kv(
            at(2, 9, 41, 3 + 4 * i as u32),
            &cli,
            &prod,
            op,
            item,
            KV_SDK_PY,
        );
    }
    for i in 0..11u32 {
        let op = if i % 4 == 0 {
            "SecretListVersions"
        } else {
            "SecretGet"
        };
        b.kv(
            at(2, 9, 42, 2 + 5 * i),
            &cli,
            &prod,
            op,
            "sql-admin",
            KV_SDK_PY,
        );
    }
    for i in 0..4u32 {
        b.kv(
            at(2, 9, 43, 5 + 9 * i),
            &cli,
            &prod,
            "SecretGet",
            "vpn-psk",
            KV_SDK_PY,
        );
    }
}

fn near_misses(b: &mut Builder) {
    let alex = person("alex.kim");
    let priya = person("priya.natarajan");
    let logs = storage("stcontosologs02", "rg-logs");
    let prod = vault("kv-contoso-prod", "rg-sec");
    let dev = vault("kv-contoso-dev", "rg-dev");
    let alex_cli = who(alex, AZ_CLI, alex.home_ip);
    // Alex lists keys from his own address, where nobody manages roles.
    b.arm(at(0, 13, 40, 0), &alex_cli, &logs, LIST_KEYS, "Success");
    // Priya manages roles from hers, where nobody lists keys.
    b.role_member(
        at(0, 15, 12, 0),
        &who(priya, PORTAL, priya.home_ip),
        person("hannah.wright"),
        (
            "Security Reader",
            "5d6b6bb7-de71-4623-b4af-96380a352509",
            "7a1b2c3d-9e8f-4a6b-b5c4-d3e2f1a09b8c",
        ),
    );
    // A developer's key regeneration that fails.
    let tom = who(person("tom.becker"), AZ_CLI, "192.0.2.31");
    let web = storage("stcontosoweb03", "rg-web");
    b.arm(at(3, 16, 20, 0), &tom, &web, REGENERATE_KEY, "Failure");
    // Maintenance window, day 4 evening: vault updates by Alex (benign
    // positives), a failed write and a secret created through ARM.
    b.arm(at(3, 22, 4, 0), &alex_cli, &dev, VAULT_WRITE, "Success");
    b.arm(at(3, 22, 11, 0), &alex_cli, &prod, VAULT_WRITE, "Success");
    b.arm(at(3, 22, 15, 0), &tom, &prod, VAULT_WRITE, "Failure");
    let secret = vault("kv-contoso-prod/secrets/maintenance-note", "rg-sec");
    b.arm(
        at(3, 22, 20, 0),
        &alex_cli,
        &secret,
        SECRET_WRITE,
        "Success",
    );
    // Alex checks nine secrets in one minute; Priya's script reads ten
    // copies of one secret in another.
    let nine: &[(&str, &str)] = &[
        ("SecretList", ""),
        ("SecretGet", "sql-admin"),
        ("SecretGet", "smtp-relay"),
        ("SecretGet", "vpn-psk"),
        ("SecretList", ""),
        ("SecretGet", "backup-encryption"),
        ("SecretGet", "feature-flags"),
        ("SecretGet", "sap-service-account"),
        ("SecretGet", "github-deploy-token"),
    ];
    for (i, (op, item)) in nine.iter().enumerate() {
        b.kv(
            at(3, 22, 30, 2 + 6 * i as u32),
            &alex_cli,
            &prod,
            op,
            item,
            "AzurePortal",
        );
    }
    let script = who(priya, AZ_CLI, priya.home_ip);
    for i in 0..10u32 {
        b.kv(
            at(1, 16, 5, 1 + 5 * i),
            &script,
            &prod,
            "SecretGet",
            "siem-ingest-token",
            KV_SDK_PY,
        );
    }
}

/// `n` routine events for benchmarks: the demo's benign activity, one day
/// after another, in time order.
pub fn bulk(n: usize, seed: u64) -> impl Iterator<Item = SynthEvent> {
    let mut day = 0i64;
    let mut rng = Rng::new(seed);
    std::iter::from_fn(move || {
        let mut b = Builder {
            rng: Rng::new(rng.next_u64()),
            events: Vec::new(),
        };
        routine(&mut b, day);
        day += 1;
        b.events.sort_by_key(|e| e.time);
        Some(b.events)
    })
    .flatten()
    .take(n)
}
