//! The rest of the demo story: what the attacker does with the access once
//! the secrets are read, the password spray and push-notification flood
//! that came before, and the look-alikes of each that a detection must
//! leave alone.
//!
//! * mass role assignment (≥ 5 by one caller in 10 minutes): the attacker
//!   makes five; Priya makes three for a new team.
//! * resource lock deleted, diagnostic settings deleted, VM run command,
//!   Key Vault purge: the attacker's succeed; an admin creating a lock or a
//!   diagnostic setting, a failed run command and a soft delete do not fire.
//! * service principal credentials, conditional access policy deleted: the
//!   attacker's; an admin renaming a service principal or updating a
//!   policy does not fire.
//! * password spray (≥ 10 failed passwords from one address against ≥ 5
//!   users in 15 minutes): a spray at night; Alex mistyping four times does
//!   not.
//! * MFA fatigue (≥ 5 declined pushes for one user in 10 minutes): Lena is
//!   flooded and gives in; Tom declining two by mistake does not.
//! * impossible travel (successful sign-ins from two countries within two
//!   hours): Megan from Seattle, then the phishing relay in Amsterdam; Tom
//!   flying from Berlin to Seattle (hours apart) does not, nor do remote
//!   staff alternating between home and the corporate VPN.
//!
//! Called after every other part of the story, so the events before it are
//! generated exactly as without it.

use super::cast::*;
use chrono::{DateTime, Utc};

use super::story::{Builder, From, Who, at, resource, vault, who};
use super::{Detail, Resource};

const SPRAY_IP: &str = "203.0.113.66";

/// A change to the Conditional Access policy that asks for MFA outside
/// trusted locations: `Update` or `Delete`.
fn policy_change(b: &mut Builder, time: DateTime<Utc>, who: &Who, verb: &'static str) {
    let target_id = b.rng.uuid();
    b.push(
        time,
        who,
        None,
        Detail::Audit {
            activity: format!("{verb} conditional access policy"),
            category: "Policy",
            service: "Conditional Access",
            operation_type: verb,
            result: "success",
            target_name: "Require MFA outside trusted locations".into(),
            target_id,
            target_type: "Policy",
            target_upn: None,
            modified: Vec::new(),
        },
    );
}

fn assignment(group: &str, id: &str) -> Resource {
    resource(group, "Microsoft.Authorization/roleAssignments", id)
}

pub(super) fn aftermath(b: &mut Builder) {
    attacker(b);
    spray(b);
    fatigue(b);
    travel(b);
    look_alikes(b);
}

fn attacker(b: &mut Builder) {
    let megan = person("megan.ross");
    let cli = who(megan, AZ_CLI, ATTACKER_IP);
    let portal = who(megan, PORTAL, ATTACKER_IP);
    // Four more role assignments after the first at 09:06: five in ten
    // minutes.
    for (i, m) in [(1u32, 8u32), (2, 10), (3, 12), (4, 14)] {
        let id = format!("7c1e{i}a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
        b.arm(
            at(2, 9, m, 20),
            &cli,
            &assignment("rg-data", &id),
            ROLE_ASSIGNMENT,
            "Success",
        );
    }
    // Credentials for an application's service principal, to come back
    // as the application.
    b.audit(
        at(2, 9, 20, 31),
        &portal,
        "Add service principal credentials",
        ("ApplicationManagement", "Update"),
        ("payments-api", "ServicePrincipal"),
    );
    // The policy that would have asked for MFA from a new country.
    policy_change(b, at(2, 9, 24, 5), &portal, "Delete");
    // Covering tracks on the vault: its lock, its audit log shipping, and
    // a secret deleted and purged so it cannot be recovered.
    let lock = resource(
        "rg-sec",
        "Microsoft.KeyVault/vaults",
        "kv-contoso-prod/providers/Microsoft.Authorization/locks/kv-no-delete",
    );
    b.arm(at(2, 9, 50, 11), &cli, &lock, LOCK_DELETE, "Success");
    let diag = resource(
        "rg-sec",
        "Microsoft.KeyVault/vaults",
        "kv-contoso-prod/providers/Microsoft.Insights/diagnosticSettings/kv-audit-to-la",
    );
    b.arm(at(2, 9, 51, 40), &cli, &diag, DIAG_DELETE, "Success");
    let prod = vault("kv-contoso-prod", "rg-sec");
    b.kv(
        at(2, 9, 53, 2),
        &cli,
        &prod,
        "SecretDelete",
        "sql-admin",
        KV_SDK_PY,
    );
    b.kv(
        at(2, 9, 53, 30),
        &cli,
        &prod,
        "SecretPurge",
        "sql-admin",
        KV_SDK_PY,
    );
    // A command on a build machine, which holds a deployment identity.
    let vm = resource(
        "rg-build",
        "Microsoft.Compute/virtualMachines",
        "vm-build-01",
    );
    b.arm(at(2, 10, 2, 45), &cli, &vm, RUN_COMMAND, "Success");
}

/// Day 2, 03:00: one password tried against six people, twice each.
fn spray(b: &mut Builder) {
    let from = || From {
        ip: SPRAY_IP,
        geo: ("RU", "Moscow"),
        ua: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    };
    let targets = [
        "megan.ross",
        "alex.kim",
        "priya.natarajan",
        "tom.becker",
        "lena.fischer",
        "megan.ross",
    ];
    let mut t = at(1, 3, 0, 5);
    for round in 0..2 {
        for (i, name) in targets.iter().enumerate() {
            // The sixth try is against Megan again in the first round; the
            // second round skips her.
            if round == 1 && i == 5 {
                continue;
            }
            b.signin(t, person(name), OFFICE_HOME, 50126, from());
            t += chrono::Duration::seconds(47);
        }
    }
}

/// Day 3, 01:10: Lena's phone buzzes eight times; she accepts the ninth.
/// The sprayer found her password; it signs in through another exit node.
fn fatigue(b: &mut Builder) {
    let lena = person("lena.fischer");
    let from = || From {
        ip: "185.220.101.52",
        geo: ("NL", "Amsterdam"),
        ua: ATTACKER_UA,
    };
    for i in 0..8u32 {
        b.signin(at(3, 1, 10 + i, 12), lena, OFFICE_HOME, 500121, from());
    }
    b.signin(at(3, 1, 18, 40), lena, OFFICE_HOME, 0, from());
}

/// Day 1: Megan at her desk in Seattle before the relay signs in as her
/// from Amsterdam at 14:22.
fn travel(b: &mut Builder) {
    let megan = person("megan.ross");
    let home = From {
        ip: megan.home_ip,
        geo: (megan.country, megan.city),
        ua: BROWSER,
    };
    b.signin(at(1, 13, 58, 9), megan, APPS[0], 0, home);
}

fn look_alikes(b: &mut Builder) {
    let alex = person("alex.kim");
    let priya = person("priya.natarajan");
    let tom = person("tom.becker");
    let priya_portal = who(priya, PORTAL, priya.home_ip);
    // Three role assignments for a new team.
    for (i, m) in [(1u32, 2u32), (2, 5), (3, 9)] {
        let id = format!("5e2a{i}c3d-4b5a-4c6d-9e8f-1a2b3c4d5e6f");
        b.arm(
            at(1, 11, m, 0),
            &priya_portal,
            &assignment("rg-web", &id),
            ROLE_ASSIGNMENT,
            "Success",
        );
    }
    // Locks and log shipping set up, not removed.
    let alex_cli = who(alex, AZ_CLI, alex.home_ip);
    let lock = resource(
        "rg-data",
        "Microsoft.Storage/storageAccounts",
        "stcontosofin01/providers/Microsoft.Authorization/locks/fin-no-delete",
    );
    b.arm(at(0, 10, 31, 0), &alex_cli, &lock, LOCK_WRITE, "Success");
    let diag = resource(
        "rg-data",
        "Microsoft.Storage/storageAccounts",
        "stcontosofin01/providers/Microsoft.Insights/diagnosticSettings/fin-to-la",
    );
    b.arm(at(0, 10, 40, 0), &alex_cli, &diag, DIAG_WRITE, "Success");
    // A run command that was refused.
    let tom_cli = who(tom, AZ_CLI, tom.home_ip);
    let vm = resource(
        "rg-build",
        "Microsoft.Compute/virtualMachines",
        "vm-build-02",
    );
    b.arm(at(3, 15, 12, 0), &tom_cli, &vm, RUN_COMMAND, "Failure");
    // A secret deleted, recoverable: soft delete is not a purge.
    let dev = vault("kv-contoso-dev", "rg-dev");
    b.kv(
        at(3, 22, 25, 0),
        &alex_cli,
        &dev,
        "SecretDelete",
        "old-test-token",
        "AzurePortal",
    );
    // An application's display name changed: no credentials involved.
    b.audit(
        at(2, 13, 5, 0),
        &priya_portal,
        "Update service principal",
        ("ApplicationManagement", "Update"),
        ("payments-api", "ServicePrincipal"),
    );
    // A policy changed, not deleted.
    policy_change(b, at(0, 16, 2, 0), &priya_portal, "Update");
    // Alex mistypes his password four times.
    let alex_home = || From {
        ip: alex.home_ip,
        geo: (alex.country, alex.city),
        ua: BROWSER,
    };
    for i in 0..4u32 {
        b.signin(at(2, 8, 1, 5 + 9 * i), alex, APPS[0], 50126, alex_home());
    }
    // Tom declines two pushes by mistake, then accepts.
    let tom_home = || From {
        ip: tom.home_ip,
        geo: (tom.country, tom.city),
        ua: BROWSER,
    };
    b.signin(at(1, 7, 31, 0), tom, APPS[1], 500121, tom_home());
    b.signin(at(1, 7, 32, 10), tom, APPS[1], 500121, tom_home());
    b.signin(at(1, 7, 33, 0), tom, APPS[1], 0, tom_home());
    // Tom in Berlin during the day, then in Seattle that night, after a
    // flight.
    b.signin(at(3, 5, 10, 0), tom, APPS[1], 0, tom_home());
    let seattle = From {
        ip: "192.0.2.77",
        geo: ("US", "Seattle"),
        ua: BROWSER,
    };
    b.signin(at(3, 23, 50, 0), tom, APPS[1], 0, seattle);
}
