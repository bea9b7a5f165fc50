//! Rendering a synthetic event in each export shape, with the field names
//! and conventions each producer uses (the Elastic azure integration, Azure
//! diagnostic settings, Log Analytics tables).

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::{Detail, SUBSCRIPTION, SynthEvent, TENANT};
use crate::model::Shape;

const UPN_CLAIM: &str = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn";
const OID_CLAIM: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

fn ts(e: &SynthEvent) -> String {
    e.time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Azure writes seven fractional digits.
fn azure_ts(e: &SynthEvent) -> String {
    format!(
        "{}.{:07}Z",
        e.time.format("%Y-%m-%dT%H:%M:%S"),
        e.time.timestamp_subsec_nanos() / 100
    )
}

/// The well-known application ids of the resources users sign in to.
fn resource_app_id(resource: &str) -> &'static str {
    match resource {
        "Windows Azure Service Management API" => "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        "Microsoft Graph" => "00000003-0000-0000-c000-000000000000",
        "Office 365 Exchange Online" => "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 SharePoint Online" => "00000003-0000-0ff1-ce00-000000000000",
        _ => "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
    }
}

/// The caller's token claims as the activity log records them (raw records
/// and Sentinel's `Claims` column carry the same object).
fn token_claims(e: &SynthEvent) -> Value {
    let mut claims = json!({"appid": e.actor.app_id, "ipaddr": e.ip, OID_CLAIM: e.actor.object_id});
    if let Some(u) = &e.actor.upn {
        claims[UPN_CLAIM] = json!(u);
        claims["name"] = json!(u);
    }
    claims
}

fn signature(result: &str) -> &'static str {
    match result {
        "Start" => "Started.",
        "Failure" => "Failed.Forbidden",
        _ => "Succeeded.OK",
    }
}

fn status_word(result: &str) -> &'static str {
    match result {
        "Start" => "Started",
        "Failure" => "Failed",
        _ => "Succeeded",
    }
}

/// The event as a document of the given shape.
pub fn render(e: &SynthEvent, shape: Shape) -> Value {
    match shape {
        Shape::Ecs => ecs(e),
        Shape::Azure | Shape::Unknown => azure(e),
        Shape::Sentinel => Value::Object(render_sentinel_row(e).1),
    }
}

fn ecs_dataset(d: &Detail) -> &'static str {
    match d {
        Detail::Activity { .. } => "azure.activitylogs",
        Detail::SignIn { .. } => "azure.signinlogs",
        Detail::Audit { .. } => "azure.auditlogs",
        Detail::KeyVault { .. } => "azure.platformlogs",
    }
}

fn ecs(e: &SynthEvent) -> Value {
    let dataset = ecs_dataset(&e.detail);
    let upn = e.actor.upn.clone();
    let mut doc = json!({
        "@timestamp": ts(e),
        "cloud": {"provider": "azure", "account": {"id": SUBSCRIPTION}},
        "data_stream": {"dataset": dataset, "namespace": "default", "type": "logs"},
        "ecs": {"version": "8.11.0"},
        "source": {"ip": e.ip, "address": e.ip},
        "agent": {"name": "elastic-agent-01", "type": "filebeat", "version": "8.17.0"},
    });
    let (event, azure) = match &e.detail {
        Detail::Activity {
            operation, result, ..
        } => {
            let res = e
                .resource
                .as_ref()
                .map(|r| r.id().to_uppercase())
                .unwrap_or_default();
            let mut claims = json!({"appid": e.actor.app_id, "ipaddr": e.ip,
                "http://schemas_microsoft_com/identity/claims/objectidentifier": e.actor.object_id});
            let mut identity = json!({"authorization": {"action": operation, "scope": res}});
            if let Some(u) = &upn {
                claims["http://schemas_xmlsoap_org/ws/2005/05/identity/claims/upn"] = json!(u);
                identity["claims_initiated_by_user"] = json!({"name": u});
            }
            identity["claims"] = claims;
            let r = e.resource.as_ref();
            (
                json!({"action": operation, "outcome": result.to_lowercase(), "kind": "event", "dataset": dataset}),
                json!({
                    "activitylogs": {"category": "Administrative", "operation_name": operation, "result_type": result,
                                     "result_signature": signature(result), "identity": identity},
                    "resource": {"id": res, "name": r.map(|r| r.name.rsplit('/').next().unwrap_or("").to_uppercase()), "group": r.map(|r| r.group.to_uppercase()),
                                 "provider": r.map(|r| r.provider.to_uppercase())},
                    "subscription_id": SUBSCRIPTION, "correlation_id": e.correlation, "tenant_id": TENANT,
                }),
            )
        }
        Detail::KeyVault {
            operation,
            status,
            uri,
            client,
        } => {
            let r = e.resource.as_ref();
            let ok = *status < 400;
            let mut claim = json!({"appid": e.actor.app_id, "objectid": e.actor.object_id});
            if let Some(u) = &upn {
                claim["upn"] = json!(u);
            }
            doc["cloud"]["region"] = json!("westeurope");
            doc["user_agent"] = json!({"original": client});
            (
                json!({"action": operation, "outcome": if ok { "success" } else { "failure" }, "kind": "event", "dataset": dataset}),
                json!({
                    "platformlogs": {"category": "AuditEvent", "operation_name": operation,
                                     "result_type": if ok { "Success" } else { "Failure" }, "result_signature": "OK",
                                     "identity": {"claim": claim},
                                     "properties": {"id": uri.split('?').next(), "requestUri": uri, "httpStatusCode": status, "clientInfo": client}},
                    "resource": {"id": r.map(|r| r.id().to_uppercase()), "name": r.map(|r| r.name.to_uppercase()),
                                 "group": r.map(|r| r.group.to_uppercase()), "provider": "MICROSOFT.KEYVAULT/VAULTS"},
                    "subscription_id": SUBSCRIPTION, "correlation_id": e.correlation,
                }),
            )
        }
        Detail::SignIn {
            app_id,
            app_name,
            resource,
            error,
            country,
            city,
            user_agent,
            interactive,
        } => {
            doc["source"]["geo"] = json!({"country_iso_code": country, "city_name": city});
            doc["user_agent"] = json!({"original": user_agent});
            if let Some(u) = &upn {
                let (name, domain) = u.split_once('@').unwrap_or((u, ""));
                doc["user"] = json!({"name": name, "domain": domain, "full_name": e.actor.display, "id": e.actor.object_id});
            }
            (
                json!({"action": "Sign-in activity", "outcome": if *error == 0 { "success" } else { "failure" },
                       "kind": "event", "category": ["authentication"], "type": ["info"], "dataset": dataset, "id": e.id}),
                json!({
                    "signinlogs": {"category": "SignInLogs", "operation_name": "Sign-in activity", "result_type": error.to_string(),
                                   "result_signature": "None", "result_description": signin_description(*error),
                                   "identity": e.actor.display,
                                   "properties": {"user_principal_name": upn, "user_display_name": e.actor.display, "user_id": e.actor.object_id,
                                                  "app_id": app_id, "app_display_name": app_name, "resource_display_name": resource,
                                                  "resource_id": resource_app_id(resource),
                                                  "status": {"error_code": error}, "client_app_used": "Browser",
                                                  "is_interactive": interactive, "id": e.id, "correlation_id": e.correlation}},
                    "tenant_id": TENANT, "correlation_id": e.correlation,
                }),
            )
        }
        Detail::Audit {
            activity,
            category,
            service,
            operation_type,
            result,
            target_name,
            target_id,
            target_type,
            target_upn,
            modified,
        } => (
            json!({"action": activity, "outcome": result, "kind": "event", "dataset": dataset, "id": e.id}),
            json!({
                "auditlogs": {"category": "AuditLogs", "operation_name": activity, "identity": e.actor.display,
                              "properties": {"category": category, "logged_by_service": service, "operation_type": operation_type,
                                             "result": result, "activity_display_name": activity, "id": e.id,
                                             "initiated_by": {"user": {"userPrincipalName": upn, "ipAddress": e.ip, "id": e.actor.object_id}},
                                             "target_resources": {"0": filebeat_target(target_name, target_id, target_type, target_upn, modified)}}},
                "tenant_id": TENANT, "correlation_id": e.correlation,
            }),
        ),
    };
    doc["event"] = event;
    doc["azure"] = azure;
    doc
}

fn azure(e: &SynthEvent) -> Value {
    let t = azure_ts(e);
    let aadiam = format!("/tenants/{TENANT}/providers/Microsoft.aadiam");
    match &e.detail {
        Detail::Activity {
            operation,
            display: _,
            result,
        } => {
            let rid = e
                .resource
                .as_ref()
                .map(|r| r.id().to_uppercase())
                .unwrap_or_default();
            let claims = token_claims(e);
            json!({
                "time": t, "resourceId": rid, "operationName": operation, "category": "Administrative",
                "resultType": result, "resultSignature": signature(result), "durationMs": 0,
                "callerIpAddress": e.ip, "correlationId": e.correlation,
                "identity": {"authorization": {"scope": rid, "action": operation,
                                               "evidence": {"principalId": e.actor.object_id.replace('-', ""),
                                                            "principalType": if e.actor.upn.is_some() { "User" } else { "ServicePrincipal" }}},
                             "claims": claims},
                "level": "Informational", "location": "global",
                "properties": activity_properties(result, &rid, operation),
            })
        }
        Detail::KeyVault {
            operation,
            status,
            uri,
            client,
        } => {
            let mut claim = json!({"appid": e.actor.app_id, OID_CLAIM: e.actor.object_id});
            if let Some(u) = &e.actor.upn {
                claim[UPN_CLAIM] = json!(u);
            }
            json!({
                "time": t, "resourceId": e.resource.as_ref().map(|r| r.id().to_uppercase()),
                "operationName": operation, "operationVersion": "7.4", "category": "AuditEvent",
                "resultType": if *status < 400 { "Success" } else { "Failure" }, "resultSignature": "OK",
                "resultDescription": "", "durationMs": "21", "callerIpAddress": e.ip, "correlationId": e.correlation,
                "identity": {"claim": claim},
                "properties": {"id": uri.split('?').next(), "clientInfo": client, "requestUri": uri, "httpStatusCode": status},
            })
        }
        Detail::SignIn {
            app_id,
            app_name,
            resource,
            error,
            country,
            city,
            user_agent,
            interactive,
        } => json!({
            "time": t, "resourceId": aadiam, "operationName": "Sign-in activity", "operationVersion": "1.0",
            "category": "SignInLogs", "tenantId": TENANT, "resultType": error.to_string(), "resultSignature": "None",
            "resultDescription": signin_description(*error), "durationMs": 0, "callerIpAddress": e.ip, "correlationId": e.correlation, "identity": e.actor.display,
            "Level": 4, "location": country,
            "properties": {"id": e.id, "createdDateTime": t, "userDisplayName": e.actor.display,
                           "userPrincipalName": e.actor.upn, "userId": e.actor.object_id, "appId": app_id,
                           "appDisplayName": app_name, "ipAddress": e.ip, "status": {"errorCode": error},
                           "clientAppUsed": "Browser", "userAgent": user_agent, "isInteractive": interactive,
                           "resourceDisplayName": resource, "resourceId": resource_app_id(resource),
                           "location": {"city": city, "countryOrRegion": country}},
        }),
        Detail::Audit {
            activity,
            category,
            service,
            operation_type,
            result,
            target_name,
            target_id,
            target_type,
            target_upn,
            modified,
        } => json!({
            "time": t, "resourceId": aadiam, "operationName": activity, "operationVersion": "1.0",
            "category": "AuditLogs", "tenantId": TENANT, "resultSignature": "None", "durationMs": 0,
            "callerIpAddress": e.ip, "correlationId": e.correlation, "Level": 4,
            "properties": {"id": e.id, "category": category, "correlationId": e.correlation, "result": result,
                           "resultReason": "", "activityDisplayName": activity, "activityDateTime": t,
                           "loggedByService": service, "operationType": operation_type,
                           "initiatedBy": {"user": {"id": e.actor.object_id, "displayName": null,
                                                    "userPrincipalName": e.actor.upn, "ipAddress": e.ip}},
                           "targetResources": [logged_target(target_name, target_id, target_type, target_upn, modified)],
                           "additionalDetails": []},
        }),
    }
}

/// A sign-in's result description, as every export writes it.
fn signin_description(error: u32) -> &'static str {
    if error == 0 { "" } else { "Sign-in failed" }
}

/// An audit event's target as Entra ID writes it (and Log Analytics
/// keeps it): what changed on it among its modified properties.
fn logged_target(
    name: &str,
    id: &str,
    kind: &str,
    upn: &Option<String>,
    modified: &[(&str, String)],
) -> Value {
    let changes: Vec<Value> = modified
        .iter()
        .map(|(k, v)| json!({"displayName": k, "oldValue": null, "newValue": v}))
        .collect();
    let mut t = json!({"id": id, "displayName": name, "type": kind, "modifiedProperties": changes});
    if let Some(u) = upn {
        t["userPrincipalName"] = json!(u);
    }
    t
}

/// The same target as Filebeat stores it: snake_case names, and arrays as
/// objects keyed by position.
fn filebeat_target(
    name: &str,
    id: &str,
    kind: &str,
    upn: &Option<String>,
    modified: &[(&str, String)],
) -> Value {
    let mut t = json!({"display_name": name, "id": id, "type": kind});
    if let Some(u) = upn {
        t["user_principal_name"] = json!(u);
    }
    if !modified.is_empty() {
        let changes: Map<String, Value> = modified
            .iter()
            .enumerate()
            .map(|(i, (k, v))| (i.to_string(), json!({"display_name": k, "new_value": v})))
            .collect();
        t["modified_properties"] = Value::Object(changes);
    }
    t
}

/// An activity record's `properties`, as the raw log and Log Analytics'
/// `Properties` column hold them.
fn activity_properties(result: &str, rid: &str, operation: &str) -> Value {
    json!({"statusCode": if result == "Failure" { "Forbidden" } else { "OK" }, "eventCategory": "Administrative",
           "entity": rid, "message": operation, "hierarchy": format!("{TENANT}/{SUBSCRIPTION}")})
}

/// The event as a Log Analytics row: its table name and its columns.
pub fn render_sentinel_row(e: &SynthEvent) -> (&'static str, Map<String, Value>) {
    let t = azure_ts(e);
    let v = match &e.detail {
        Detail::Activity {
            operation,
            display,
            result,
        } => {
            let rid = e
                .resource
                .as_ref()
                .map(|r| r.id().to_lowercase())
                .unwrap_or_default();
            let claims = token_claims(e);
            // Properties hold the raw record's text, which writes ids in
            // upper case.
            let properties = activity_properties(result, &rid.to_uppercase(), operation);
            let caller = e
                .actor
                .upn
                .clone()
                .unwrap_or_else(|| e.actor.object_id.clone());
            json!({
                "TimeGenerated": t, "OperationNameValue": operation, "OperationName": display,
                "ActivityStatusValue": result, "ActivityStatus": status_word(result),
                "ActivitySubstatusValue": if *result == "Failure" { "Forbidden" } else { "" },
                "Caller": caller, "CallerIpAddress": e.ip, "CategoryValue": "Administrative", "Category": "Administrative",
                "ResourceGroup": e.resource.as_ref().map(|r| r.group.to_uppercase()),
                // The namespace of the operation: a lock on a storage
                // account is MICROSOFT.AUTHORIZATION's.
                "ResourceProviderValue": operation.split('/').next().unwrap_or("").to_uppercase(),
                "_ResourceId": rid, "SubscriptionId": SUBSCRIPTION, "CorrelationId": e.correlation,
                "Authorization": json!({"action": operation, "scope": rid.to_uppercase()}).to_string(),
                "Claims": claims.to_string(), "Properties": properties.to_string(), "Properties_d": properties,
                "Level": "Informational", "TenantId": TENANT, "Type": "AzureActivity",
            })
        }
        Detail::KeyVault {
            operation,
            status,
            uri,
            client,
        } => json!({
            "TimeGenerated": t, "ResourceId": e.resource.as_ref().map(|r| r.id().to_uppercase()),
            "OperationName": operation, "ResultType": if *status < 400 { "Success" } else { "Failure" },
            "ResultSignature": "OK", "CallerIPAddress": e.ip,
            "identity_claim_http_schemas_xmlsoap_org_ws_2005_05_identity_claims_upn_s": e.actor.upn.clone().unwrap_or_default(),
            "identity_claim_appid_g": e.actor.app_id, "identity_claim_oid_g": e.actor.object_id,
            "Resource": e.resource.as_ref().map(|r| r.name.to_uppercase()),
            "ResourceGroup": e.resource.as_ref().map(|r| r.group.to_uppercase()),
            "ResourceProvider": "MICROSOFT.KEYVAULT", "ResourceType": "VAULTS", "Category": "AuditEvent",
            "SubscriptionId": SUBSCRIPTION, "requestUri_s": uri, "id_s": uri.split('?').next(),
            "clientInfo_s": client, "httpStatusCode_d": status, "CorrelationId": e.correlation, "Type": "AzureDiagnostics",
        }),
        Detail::SignIn {
            app_id,
            app_name,
            resource,
            error,
            country,
            city,
            user_agent,
            interactive,
        } => json!({
            "TimeGenerated": t, "UserPrincipalName": e.actor.upn, "UserDisplayName": e.actor.display,
            "UserId": e.actor.object_id, "AppDisplayName": app_name, "AppId": app_id, "IPAddress": e.ip,
            "ResultType": error.to_string(),
            "ResultDescription": signin_description(*error),
            "Location": country,
            "LocationDetails": json!({"city": city, "countryOrRegion": country}).to_string(),
            "Status": json!({"errorCode": error}).to_string(), "UserAgent": user_agent, "ClientAppUsed": "Browser",
            "IsInteractive": interactive.to_string(), "ResourceDisplayName": resource,
            "ResourceIdentity": resource_app_id(resource), "OperationName": "Sign-in activity",
            "Category": "SignInLogs", "CorrelationId": e.correlation, "Id": e.id, "Type": "SigninLogs",
        }),
        Detail::Audit {
            activity,
            category,
            service,
            operation_type,
            result,
            target_name,
            target_id,
            target_type,
            target_upn,
            modified,
        } => json!({
            "TimeGenerated": t, "OperationName": activity, "Category": category, "Result": result, "ResultReason": "",
            "LoggedByService": service, "ActivityDisplayName": activity, "AADOperationType": operation_type,
            "InitiatedBy": json!({"user": {"id": e.actor.object_id, "displayName": null,
                                           "userPrincipalName": e.actor.upn, "ipAddress": e.ip}}).to_string(),
            "TargetResources": json!([logged_target(target_name, target_id, target_type, target_upn, modified)]).to_string(),
            "AdditionalDetails": "[]", "CorrelationId": e.correlation, "Id": e.id, "Type": "AuditLogs",
        }),
    };
    let table = match &e.detail {
        Detail::Activity { .. } => "AzureActivity",
        Detail::KeyVault { .. } => "AzureDiagnostics",
        Detail::SignIn { .. } => "SigninLogs",
        Detail::Audit { .. } => "AuditLogs",
    };
    match v {
        Value::Object(m) => (table, m),
        _ => (table, Map::new()),
    }
}
