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

use super::rng::Rng;
use super::{Actor, DOMAIN, Detail, Resource, SynthEvent};

const ATTACKER_IP: &str = "185.220.101.47";

struct Person {
    name: &'static str,
    display: &'static str,
    home_ip: &'static str,
    country: &'static str,
    city: &'static str,
}

const PEOPLE: &[Person] = &[
    Person {
        name: "megan.ross",
        display: "Megan Ross",
        home_ip: "192.0.2.14",
        country: "US",
        city: "Seattle",
    },
    Person {
        name: "alex.kim",
        display: "Alex Kim",
        home_ip: "198.51.100.12",
        country: "US",
        city: "Seattle",
    },
    Person {
        name: "priya.natarajan",
        display: "Priya Natarajan",
        home_ip: "198.51.100.25",
        country: "US",
        city: "Redmond",
    },
    Person {
        name: "tom.becker",
        display: "Tom Becker",
        home_ip: "192.0.2.31",
        country: "DE",
        city: "Berlin",
    },
    Person {
        name: "lena.fischer",
        display: "Lena Fischer",
        home_ip: "192.0.2.32",
        country: "DE",
        city: "Hamburg",
    },
    Person {
        name: "omar.haddad",
        display: "Omar Haddad",
        home_ip: "192.0.2.45",
        country: "GB",
        city: "London",
    },
    Person {
        name: "grace.liu",
        display: "Grace Liu",
        home_ip: "192.0.2.51",
        country: "US",
        city: "Portland",
    },
    Person {
        name: "samuel.okafor",
        display: "Samuel Okafor",
        home_ip: "192.0.2.60",
        country: "GB",
        city: "Manchester",
    },
    Person {
        name: "nina.petrova",
        display: "Nina Petrova",
        home_ip: "192.0.2.72",
        country: "US",
        city: "Seattle",
    },
    Person {
        name: "diego.alvarez",
        display: "Diego Alvarez",
        home_ip: "192.0.2.80",
        country: "ES",
        city: "Madrid",
    },
    Person {
        name: "hannah.wright",
        display: "Hannah Wright",
        home_ip: "192.0.2.91",
        country: "US",
        city: "Bellevue",
    },
    Person {
        name: "kenji.sato",
        display: "Kenji Sato",
        home_ip: "192.0.2.103",
        country: "US",
        city: "Seattle",
    },
    Person {
        name: "fatima.zahra",
        display: "Fatima Zahra",
        home_ip: "192.0.2.117",
        country: "GB",
        city: "Leeds",
    },
    Person {
        name: "liam.oconnor",
        display: "Liam O'Connor",
        home_ip: "192.0.2.125",
        country: "IE",
        city: "Dublin",
    },
    Person {
        name: "sofia.rossi",
        display: "Sofia Rossi",
        home_ip: "192.0.2.133",
        country: "US",
        city: "Tacoma",
    },
    Person {
        name: "noah.jensen",
        display: "Noah Jensen",
        home_ip: "192.0.2.141",
        country: "US",
        city: "Seattle",
    },
    Person {
        name: "ava.martin",
        display: "Ava Martin",
        home_ip: "192.0.2.150",
        country: "US",
        city: "Redmond",
    },
    Person {
        name: "yusuf.demir",
        display: "Yusuf Demir",
        home_ip: "192.0.2.162",
        country: "GB",
        city: "London",
    },
    Person {
        name: "chloe.dubois",
        display: "Chloe Dubois",
        home_ip: "192.0.2.170",
        country: "FR",
        city: "Lyon",
    },
    Person {
        name: "ethan.brooks",
        display: "Ethan Brooks",
        home_ip: "192.0.2.188",
        country: "US",
        city: "Seattle",
    },
];

const CORP_IPS: &[&str] = &["198.51.100.40", "198.51.100.41", "198.51.100.42"];

const APPS: &[(&str, &str, &str)] = &[
    (
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        "Microsoft Teams",
        "Microsoft Teams Services",
    ),
    (
        "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 Exchange Online",
        "Office 365 Exchange Online",
    ),
    (
        "00000003-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online",
        "Office 365 SharePoint Online",
    ),
    (
        "4765445b-32c6-49b0-83e6-1d93765276ca",
        "OfficeHome",
        "Office 365 Exchange Online",
    ),
    (
        "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        "Microsoft Office",
        "Microsoft Graph",
    ),
];
const PORTAL: (&str, &str, &str) = (
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
    "Azure Portal",
    "Windows Azure Service Management API",
);
const AZ_CLI: (&str, &str, &str) = (
    "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
    "Microsoft Azure CLI",
    "Windows Azure Service Management API",
);

const BROWSER: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
const ATTACKER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CLI_UA: &str = "python/3.11.9 (Linux-6.8.0-x86_64-with-glibc2.39) AZURECLI/2.67.0";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn at(day: i64, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    start() + Duration::days(day) + Duration::seconds(i64::from(h * 3600 + m * 60 + s))
}

fn storage(name: &str, group: &str) -> Resource {
    Resource {
        group: group.into(),
        provider: "Microsoft.Storage/storageAccounts".into(),
        name: name.into(),
    }
}

fn vault(name: &str, group: &str) -> Resource {
    Resource {
        group: group.into(),
        provider: "Microsoft.KeyVault/vaults".into(),
        name: name.into(),
    }
}

struct Builder {
    rng: Rng,
    events: Vec<SynthEvent>,
}

impl Builder {
    fn person(&mut self, p: &Person, app: (&str, &str, &str)) -> Actor {
        let mut r = Rng::new(
            p.name
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))),
        );
        Actor {
            upn: Some(format!("{}@{DOMAIN}", p.name)),
            display: p.display.into(),
            object_id: r.uuid(),
            app_id: app.0.into(),
            app_name: app.1.into(),
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

    fn push(
        &mut self,
        time: DateTime<Utc>,
        actor: Actor,
        ip: &str,
        resource: Option<Resource>,
        detail: Detail,
    ) {
        let id = self.rng.uuid();
        let correlation = self.rng.uuid();
        self.events.push(SynthEvent {
            time,
            id,
            correlation,
            actor,
            ip: ip.into(),
            resource,
            detail,
        });
    }

    fn signin(
        &mut self,
        time: DateTime<Utc>,
        p: &Person,
        ip: &str,
        app: (&str, &str, &str),
        error: u32,
        geo: (&'static str, &'static str),
        ua: &str,
    ) {
        let actor = self.person(p, app);
        self.push(
            time,
            actor,
            ip,
            None,
            Detail::SignIn {
                app_id: app.0.into(),
                app_name: app.1.into(),
                resource: app.2.into(),
                error,
                country: geo.0,
                city: geo.1,
                user_agent: ua.into(),
                interactive: true,
            },
        );
    }

    /// An ARM write or action: the activity log records a `Start` and then
    /// the final status, under one correlation id.
    fn arm(
        &mut self,
        time: DateTime<Utc>,
        actor: Actor,
        ip: &str,
        res: Resource,
        op: &str,
        display: &str,
        result: &'static str,
    ) {
        let correlation = self.rng.uuid();
        for (offset, r) in [(0, "Start"), (1 + self.rng.below(3) as i64, result)] {
            let id = self.rng.uuid();
            self.events.push(SynthEvent {
                time: time + Duration::milliseconds(offset * 400 + self.rng.below(300) as i64),
                id,
                correlation: correlation.clone(),
                actor: actor.clone(),
                ip: ip.into(),
                resource: Some(res.clone()),
                detail: Detail::Activity {
                    operation: op.to_uppercase(),
                    display: display.into(),
                    result: r,
                },
            });
        }
    }

    fn kv(
        &mut self,
        time: DateTime<Utc>,
        actor: Actor,
        ip: &str,
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
            actor,
            ip,
            Some(res.clone()),
            Detail::KeyVault {
                operation: op.into(),
                status: 200,
                uri,
                client: client.into(),
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn audit(
        &mut self,
        time: DateTime<Utc>,
        actor: Actor,
        ip: &str,
        activity: &str,
        category: &'static str,
        op_type: &'static str,
        target: (&str, &'static str),
    ) {
        let target_id = self.rng.uuid();
        self.push(
            time,
            actor,
            ip,
            None,
            Detail::Audit {
                activity: activity.into(),
                category,
                service: "Core Directory",
                operation_type: op_type,
                result: "success",
                target_name: target.0.into(),
                target_id,
                target_type: target.1,
            },
        );
    }
}

fn person(name: &str) -> &'static Person {
    PEOPLE.iter().find(|p| p.name == name).unwrap_or(&PEOPLE[0])
}

/// The demo scenario's events, in time order.
pub fn demo() -> Vec<SynthEvent> {
    let mut b = Builder {
        rng: Rng::new(0x5eed_2026_0302),
        events: Vec::new(),
    };
    routine(&mut b, 4);
    attack(&mut b);
    near_misses(&mut b);
    b.events
        .sort_by(|x, y| x.time.cmp(&y.time).then_with(|| x.id.cmp(&y.id)));
    b.events
}

fn routine(b: &mut Builder, days: i64) {
    let fin = storage("stcontosofin01", "rg-data");
    let logs = storage("stcontosologs02", "rg-logs");
    let web = storage("stcontosoweb03", "rg-web");
    let prod = vault("kv-contoso-prod", "rg-sec");
    let dev = vault("kv-contoso-dev", "rg-dev");
    let rotation = Builder::identity(
        "func-keyrotation",
        "3f9a1c2e-7b4d-4e8f-9a0b-1c2d3e4f5a6b",
        "8e1c5d3a-2f4b-4c6d-9e8f-0a1b2c3d4e5f",
    );
    let payments = Builder::identity(
        "app-payments",
        "6c7d8e9f-0a1b-4c2d-8e3f-4a5b6c7d8e9f",
        "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901",
    );
    for day in 0..days {
        let weekday = day < 5;
        // Sign-ins: each person a few times a day, to a mix of apps.
        for p in PEOPLE {
            let n = if weekday {
                5 + b.rng.below(8)
            } else {
                b.rng.below(2)
            };
            for _ in 0..n {
                let h = 7 + b.rng.below(11) as u32;
                let t = at(day, h, b.rng.below(60) as u32, b.rng.below(60) as u32);
                let office = b.rng.chance(60);
                let ip = if office {
                    *b.rng.pick(CORP_IPS)
                } else {
                    p.home_ip
                };
                let app = *b.rng.pick(APPS);
                let error = if b.rng.chance(4) {
                    *b.rng.pick(&[50126u32, 50074, 50140])
                } else {
                    0
                };
                let geo = if office {
                    ("US", "Seattle")
                } else {
                    (p.country, p.city)
                };
                b.signin(t, p, ip, app, error, geo, BROWSER);
            }
        }
        // Admins at work in the portal and the CLI.
        for (name, ip) in [
            ("alex.kim", "198.51.100.12"),
            ("priya.natarajan", "198.51.100.25"),
        ] {
            let p = person(name);
            let (m1, m2) = (b.rng.below(20) as u32, b.rng.below(20) as u32);
            b.signin(
                at(day, 8, 2 + m1, 5),
                p,
                ip,
                PORTAL,
                0,
                ("US", p.city),
                BROWSER,
            );
            b.signin(
                at(day, 13, 10 + m2, 41),
                p,
                ip,
                AZ_CLI,
                0,
                ("US", p.city),
                CLI_UA,
            );
        }
        // Developers deploying.
        for (i, p) in PEOPLE.iter().skip(3).take(8).enumerate() {
            if !weekday {
                continue;
            }
            for round in 0..(1 + b.rng.below(3) as u32) {
                let actor = b.person(p, PORTAL);
                let t = at(
                    day,
                    9 + (i as u32 % 4) + 3 * round,
                    b.rng.below(60) as u32,
                    b.rng.below(60) as u32,
                );
                let site = Resource {
                    group: "rg-web".into(),
                    provider: "Microsoft.Web/sites".into(),
                    name: format!("app-contoso-{}", ["api", "web", "jobs"][i % 3]),
                };
                let ips = [
                    *b.rng.pick(CORP_IPS),
                    *b.rng.pick(CORP_IPS),
                    *b.rng.pick(CORP_IPS),
                ];
                b.arm(
                    t,
                    actor.clone(),
                    ips[0],
                    site.clone(),
                    "Microsoft.Web/sites/write",
                    "Create or Update Web App",
                    "Success",
                );
                b.arm(
                    t + Duration::minutes(2),
                    actor.clone(),
                    ips[1],
                    site,
                    "Microsoft.Web/sites/restart/action",
                    "Restart Web App",
                    "Success",
                );
                let dep = Resource {
                    group: "rg-web".into(),
                    provider: "Microsoft.Resources/deployments".into(),
                    name: format!("release-{day}-{i}"),
                };
                b.arm(
                    t + Duration::minutes(5),
                    actor,
                    ips[2],
                    dep,
                    "Microsoft.Resources/deployments/write",
                    "Create Deployment",
                    "Success",
                );
            }
        }
        // Virtual machines started in the morning and stopped at night by
        // the scheduling automation.
        for vm in 0..10 {
            let res = Resource {
                group: "rg-compute".into(),
                provider: "Microsoft.Compute/virtualMachines".into(),
                name: format!("vm-build-{vm:02}"),
            };
            let (m1, m2) = (b.rng.below(30) as u32, b.rng.below(30) as u32);
            b.arm(
                at(day, 6, m1, 0),
                rotation.clone(),
                "20.50.2.10",
                res.clone(),
                "Microsoft.Compute/virtualMachines/start/action",
                "Start Virtual Machine",
                "Success",
            );
            b.arm(
                at(day, 20, m2, 0),
                rotation.clone(),
                "20.50.2.10",
                res,
                "Microsoft.Compute/virtualMachines/deallocate/action",
                "Deallocate Virtual Machine",
                "Success",
            );
        }
        // Nightly key rotation by the automation identity: a benign positive
        // of the key-regeneration rule, and Key Vault secret updates.
        for acct in [&logs, &web] {
            let t = at(day, 2, 0, 5 + b.rng.below(40) as u32);
            b.arm(
                t,
                rotation.clone(),
                "20.50.2.10",
                acct.clone(),
                "Microsoft.Storage/storageAccounts/regenerateKey/action",
                "Regenerate Storage Account Keys",
                "Success",
            );
            b.arm(
                t + Duration::seconds(20),
                rotation.clone(),
                "20.50.2.10",
                acct.clone(),
                "Microsoft.Storage/storageAccounts/listKeys/action",
                "List Storage Account Keys",
                "Success",
            );
            b.kv(
                t + Duration::seconds(30),
                rotation.clone(),
                "20.50.2.10",
                &prod,
                "SecretSet",
                &format!("{}-key", acct.name),
                "azsdk-net-Security.KeyVault.Secrets/4.6.0",
            );
        }
        // An application reading its connection string every five minutes
        // (no UPN: a managed identity).
        for slot in 0..288 {
            let t = at(day, 0, 0, 0)
                + Duration::minutes(slot * 5)
                + Duration::seconds(b.rng.below(50) as i64);
            b.kv(
                t,
                payments.clone(),
                "20.50.2.31",
                &prod,
                "SecretGet",
                "payments-db-connection",
                "azsdk-net-Security.KeyVault.Secrets/4.6.0",
            );
        }
        for slot in 0..144 {
            let t = at(day, 0, 0, 0)
                + Duration::minutes(slot * 10)
                + Duration::seconds(b.rng.below(50) as i64);
            b.kv(
                t,
                payments.clone(),
                "20.50.2.31",
                &dev,
                "SecretGet",
                "payments-db-connection",
                "azsdk-net-Security.KeyVault.Secrets/4.6.0",
            );
        }
        // People opening a secret in the portal now and then.
        for p in PEOPLE.iter().take(6) {
            if b.rng.chance(50) {
                let actor = b.person(p, PORTAL);
                let t = at(day, 10 + b.rng.below(6) as u32, b.rng.below(60) as u32, 3);
                b.kv(
                    t,
                    actor.clone(),
                    p.home_ip,
                    &dev,
                    "SecretList",
                    "",
                    "AzurePortal",
                );
                b.kv(
                    t + Duration::seconds(4),
                    actor,
                    p.home_ip,
                    &dev,
                    "SecretGet",
                    "feature-flags",
                    "AzurePortal",
                );
            }
        }
        // Directory housekeeping by the security admin.
        let priya = person("priya.natarajan");
        let admin = b.person(priya, PORTAL);
        for k in 0..(10 + b.rng.below(8)) {
            let t = at(day, 11 + (k as u32 % 6), b.rng.below(60) as u32, 12);
            let target = &PEOPLE[b.rng.below(PEOPLE.len() as u64) as usize];
            let upn = format!("{}@{DOMAIN}", target.name);
            match k % 3 {
                0 => b.audit(
                    t,
                    admin.clone(),
                    priya.home_ip,
                    "Update user",
                    "UserManagement",
                    "Update",
                    (&upn, "User"),
                ),
                1 => b.audit(
                    t,
                    admin.clone(),
                    priya.home_ip,
                    "Add member to group",
                    "GroupManagement",
                    "Assign",
                    ("Finance Analysts", "Group"),
                ),
                _ => b.audit(
                    t,
                    admin.clone(),
                    priya.home_ip,
                    "Reset user password",
                    "UserManagement",
                    "Update",
                    (&upn, "User"),
                ),
            }
        }
        let _ = &fin;
    }
}

fn attack(b: &mut Builder) {
    let megan = person("megan.ross");
    let fin = storage("stcontosofin01", "rg-data");
    let prod = vault("kv-contoso-prod", "rg-sec");
    let nl = ("NL", "Amsterdam");
    // Day 2: the phishing page relays Megan's sign-in (adversary in the
    // middle); the session comes from a country she never signs in from.
    b.signin(
        at(1, 14, 22, 10),
        megan,
        ATTACKER_IP,
        APPS[3],
        50074,
        nl,
        ATTACKER_UA,
    );
    b.signin(
        at(1, 14, 22, 48),
        megan,
        ATTACKER_IP,
        APPS[3],
        0,
        nl,
        ATTACKER_UA,
    );
    // Day 3: back with the stolen session.
    b.signin(
        at(2, 9, 2, 3),
        megan,
        ATTACKER_IP,
        PORTAL,
        0,
        nl,
        ATTACKER_UA,
    );
    b.signin(at(2, 9, 3, 30), megan, ATTACKER_IP, AZ_CLI, 0, nl, CLI_UA);
    let portal = b.person(megan, PORTAL);
    let cli = b.person(megan, AZ_CLI);
    b.audit(
        at(2, 9, 5, 10),
        portal.clone(),
        ATTACKER_IP,
        "Add member to role",
        "RoleManagement",
        "Assign",
        ("Application Administrator", "Role"),
    );
    let scope = Resource {
        group: "rg-data".into(),
        provider: "Microsoft.Authorization/roleAssignments".into(),
        name: "0b6c2d1e-4f3a-4b5c-8d7e-9f0a1b2c3d4e".into(),
    };
    b.arm(
        at(2, 9, 6, 0),
        cli.clone(),
        ATTACKER_IP,
        scope,
        "Microsoft.Authorization/roleAssignments/write",
        "Create role assignment",
        "Success",
    );
    b.arm(
        at(2, 9, 7, 12),
        cli.clone(),
        ATTACKER_IP,
        fin.clone(),
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "List Storage Account Keys",
        "Success",
    );
    b.arm(
        at(2, 9, 9, 40),
        cli.clone(),
        ATTACKER_IP,
        fin.clone(),
        "Microsoft.Storage/storageAccounts/regenerateKey/action",
        "Regenerate Storage Account Keys",
        "Success",
    );
    b.arm(
        at(2, 9, 31, 2),
        cli.clone(),
        ATTACKER_IP,
        prod.clone(),
        "Microsoft.KeyVault/vaults/write",
        "Update Key Vault",
        "Success",
    );
    // The burst: 14 reads of three kinds in 09:41, 11 of two kinds in 09:42,
    // then a trickle of 4 in 09:43.
    let client = "azsdk-python-keyvault-secrets/4.9.0 Python/3.11.9";
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
            cli.clone(),
            ATTACKER_IP,
            &prod,
            op,
            item,
            client,
        );
    }
    for i in 0..11u32 {
        let (op, item) = if i % 4 == 0 {
            ("SecretListVersions", "sql-admin")
        } else {
            ("SecretGet", "sql-admin")
        };
        b.kv(
            at(2, 9, 42, 2 + 5 * i),
            cli.clone(),
            ATTACKER_IP,
            &prod,
            op,
            item,
            client,
        );
    }
    for i in 0..4u32 {
        b.kv(
            at(2, 9, 43, 5 + 9 * i),
            cli.clone(),
            ATTACKER_IP,
            &prod,
            "SecretGet",
            "vpn-psk",
            client,
        );
    }
}

fn near_misses(b: &mut Builder) {
    let alex = person("alex.kim");
    let priya = person("priya.natarajan");
    let logs = storage("stcontosologs02", "rg-logs");
    let prod = vault("kv-contoso-prod", "rg-sec");
    let dev = vault("kv-contoso-dev", "rg-dev");
    let alex_cli = b.person(alex, AZ_CLI);
    let priya_cli = b.person(priya, AZ_CLI);
    // Alex lists keys from his own address, where nobody manages roles.
    b.arm(
        at(0, 13, 40, 0),
        alex_cli.clone(),
        alex.home_ip,
        logs.clone(),
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "List Storage Account Keys",
        "Success",
    );
    // Priya manages roles from hers, where nobody lists keys.
    let priya_portal = b.person(priya, PORTAL);
    b.audit(
        at(0, 15, 12, 0),
        priya_portal,
        priya.home_ip,
        "Add member to role",
        "RoleManagement",
        "Assign",
        ("Security Reader", "Role"),
    );
    // A developer's key regeneration that fails.
    let tom = b.person(person("tom.becker"), AZ_CLI);
    b.arm(
        at(3, 16, 20, 0),
        tom.clone(),
        "192.0.2.31",
        storage("stcontosoweb03", "rg-web"),
        "Microsoft.Storage/storageAccounts/regenerateKey/action",
        "Regenerate Storage Account Keys",
        "Failure",
    );
    // Maintenance window, day 4 evening: vault updates by Alex (benign
    // positives), a failed write and a secret created through ARM.
    b.arm(
        at(3, 22, 4, 0),
        alex_cli.clone(),
        alex.home_ip,
        dev.clone(),
        "Microsoft.KeyVault/vaults/write",
        "Update Key Vault",
        "Success",
    );
    b.arm(
        at(3, 22, 11, 0),
        alex_cli.clone(),
        alex.home_ip,
        prod.clone(),
        "Microsoft.KeyVault/vaults/write",
        "Update Key Vault",
        "Success",
    );
    b.arm(
        at(3, 22, 15, 0),
        tom,
        "192.0.2.31",
        prod.clone(),
        "Microsoft.KeyVault/vaults/write",
        "Update Key Vault",
        "Failure",
    );
    let secret = Resource {
        group: "rg-sec".into(),
        provider: "Microsoft.KeyVault/vaults".into(),
        name: "kv-contoso-prod/secrets/maintenance-note".into(),
    };
    b.arm(
        at(3, 22, 20, 0),
        alex_cli.clone(),
        alex.home_ip,
        secret,
        "Microsoft.KeyVault/vaults/secrets/write",
        "Write Secret",
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
            alex_cli.clone(),
            alex.home_ip,
            &prod,
            op,
            item,
            "AzurePortal",
        );
    }
    for i in 0..10u32 {
        b.kv(
            at(1, 16, 5, 1 + 5 * i),
            priya_cli.clone(),
            priya.home_ip,
            &prod,
            "SecretGet",
            "siem-ingest-token",
            "azsdk-python-keyvault-secrets/4.9.0 Python/3.11.9",
        );
    }
}

/// `n` routine events for benchmarks: the demo's benign activity repeated
/// over as many days as it takes, in time order.
pub fn bulk(n: usize, seed: u64) -> impl Iterator<Item = SynthEvent> {
    let mut day_offset = 0i64;
    let mut rng = Rng::new(seed);
    std::iter::from_fn(move || {
        let mut b = Builder {
            rng: Rng::new(rng.next_u64()),
            events: Vec::new(),
        };
        routine(&mut b, 1);
        let shift = Duration::days(day_offset);
        day_offset += 1;
        b.events.sort_by(|x, y| x.time.cmp(&y.time));
        Some(b.events.into_iter().map(move |mut e| {
            e.time += shift;
            e
        }))
    })
    .flatten()
    .take(n)
}
