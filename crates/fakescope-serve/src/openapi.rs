//! `GET /v1/openapi.json`: the OpenAPI 3.1 description of the API, built from the code. The
//! scan options are the fields of [`ScanSettings`] (names, types and defaults read from its
//! serialised default), so a new option appears here without editing this file.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::ScanSettings;

/// The document, served without a key.
pub async fn document() -> Json<Value> {
    Json(build())
}

/// The query parameters of `POST /v1/scans`, one per scan option.
fn scan_parameters() -> Vec<Value> {
    let defaults = serde_json::to_value(ScanSettings::default()).unwrap_or(Value::Null);
    let mut params = vec![
        json!({
            "name": "detectors", "in": "query", "required": false,
            "description": "Detector names, comma-separated (GET /v1/detectors lists them); the default set when absent. `detector` may also be repeated.",
            "schema": {"type": "string"}, "example": "mesoinception4-df,aasist"
        }),
        json!({
            "name": "fusion", "in": "query", "required": false,
            "description": "The name of one of the server's logistic fusions of detectors (`fakescope serve --fusion NAME=FILE`), used instead of `combine`; the file's probability is then the fused, calibrated one.",
            "schema": {"type": "string"}
        }),
        json!({
            "name": "filename", "in": "query", "required": false,
            "description": "The upload's name for a raw body (multipart uploads carry their own).",
            "schema": {"type": "string"}
        }),
    ];
    if let Value::Object(fields) = defaults {
        for (name, default) in fields {
            if name == "detectors" {
                continue;
            }
            let schema = match &default {
                Value::Bool(_) => json!({"type": "boolean", "default": default}),
                Value::Number(n) if n.is_u64() => {
                    json!({"type": "integer", "minimum": 1, "default": default})
                }
                Value::Number(_) => json!({"type": "number", "default": default}),
                Value::Null => json!({"type": "number"}),
                Value::String(_) => json!({"type": "string", "default": default}),
                _ => json!({}),
            };
            params.push(json!({
                "name": name, "in": "query", "required": false,
                "description": format!("As `fakescope scan --{}`.", name.replace('_', "-")),
                "schema": schema,
            }));
        }
    }
    params
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

fn job_id() -> Value {
    json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}})
}

/// The whole document.
pub fn build() -> Value {
    let mut errors = Map::new();
    for (code, what) in [
        ("400", "Invalid option, parameter or body"),
        ("401", "Missing, unknown or revoked API key"),
        ("404", "No such job for this key"),
        ("408", "The client stopped sending"),
        ("413", "The upload is larger than allowed for its kind"),
        ("415", "Not an image, audio or video file fakescope reads"),
        (
            "429",
            "Too many requests, or too many active jobs, for this key",
        ),
        ("507", "The server's disk is full"),
    ] {
        errors.insert(code.into(), problem_response(what));
    }
    let pick = |codes: &[&str]| -> Map<String, Value> {
        codes
            .iter()
            .filter_map(|c| errors.get(*c).map(|v| ((*c).to_owned(), v.clone())))
            .collect()
    };
    let with = |mut base: Map<String, Value>, codes: &[&str]| {
        base.extend(pick(codes));
        Value::Object(base)
    };
    let ok_json = |desc: &str, schema: Value| -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "200".into(),
            json!({"description": desc, "content": {"application/json": {"schema": schema}}}),
        );
        m
    };
    let mut created = Map::new();
    created.insert(
        "202".into(),
        json!({
            "description": "Accepted: the job is queued (or done at once when the same file was scanned with the same options).",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Job"}}}
        }),
    );
    let mut deleted = Map::new();
    deleted.insert("204".into(), json!({"description": "Deleted"}));
    let mut file = Map::new();
    file.insert(
        "200".into(),
        json!({"description": "The uploaded file, with its media type", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}),
    );

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "fakescope",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Deepfake scans of images, audio and video. Upload a file, poll the job, read the same report `fakescope scan --json` prints. Every probability is a fake probability (1 = fake).",
            "license": {"name": "MIT OR Apache-2.0", "identifier": "MIT OR Apache-2.0"}
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/v1/scans": {
                "post": {
                    "operationId": "createScan",
                    "summary": "Upload a file to scan",
                    "description": "The file is the raw body (any content type but multipart) or the multipart field `file`. It is recognised by content; limits per kind are checked while it streams in.",
                    "parameters": scan_parameters(),
                    "requestBody": {
                        "required": true,
                        "content": {
                            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}
                        }
                    },
                    "responses": with(created, &["400", "401", "408", "413", "415", "429", "507"])
                },
                "get": {
                    "operationId": "listScans",
                    "summary": "The key's jobs, newest first",
                    "parameters": [
                        {"name": "status", "in": "query", "required": false, "schema": {"$ref": "#/components/schemas/Status"}},
                        {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}}
                    ],
                    "responses": with(ok_json("The jobs (without their full results)", json!({"type": "object", "required": ["scans"], "properties": {"scans": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}})), &["400", "401", "429"])
                }
            },
            "/v1/scans/{id}": {
                "get": {
                    "operationId": "getScan",
                    "summary": "One job with its result",
                    "parameters": [job_id(), {"name": "wait", "in": "query", "required": false, "description": "Wait up to this many seconds for the job to finish.", "schema": {"type": "number", "minimum": 0, "maximum": crate::api::MAX_WAIT_S, "default": 0}}],
                    "responses": with(ok_json("The job", json!({"$ref": "#/components/schemas/Job"})), &["400", "401", "404", "429"])
                },
                "delete": {
                    "operationId": "deleteScan",
                    "summary": "Delete a job, its result and its upload",
                    "parameters": [job_id()],
                    "responses": with(deleted, &["401", "404", "429"])
                }
            },
            "/v1/scans/{id}/file": {
                "get": {
                    "operationId": "getScanFile",
                    "summary": "The uploaded file",
                    "parameters": [job_id()],
                    "responses": with(file, &["401", "404", "429"])
                }
            },
            "/v1/detectors": {
                "get": {
                    "operationId": "listDetectors",
                    "summary": "The detectors a scan can use",
                    "responses": with(ok_json("Detectors", json!({"type": "object", "required": ["detectors", "fusions"], "properties": {"detectors": {"type": "array", "items": {"type": "object"}}, "fusions": {"type": "array", "items": {"type": "object", "required": ["name", "detectors"], "properties": {"name": {"type": "string"}, "detectors": {"type": "array", "items": {"type": "string"}}}}}}})), &["401", "429"])
                }
            },
            "/v1/models": {
                "get": {
                    "operationId": "listModels",
                    "summary": "The models fakescope knows, installed or not",
                    "responses": with(ok_json("Models", json!({"type": "object", "required": ["models"], "properties": {"models": {"type": "array", "items": {"type": "object"}}}})), &["401", "429"])
                }
            },
            "/v1/workers": {
                "get": {
                    "operationId": "listWorkers",
                    "summary": "The processes that scan: healthy or not, the jobs they take, seconds since the store last heard from them",
                    "responses": with(ok_json("Workers", json!({"type": "object", "required": ["workers"], "properties": {"workers": {"type": "array", "items": {"type": "object", "required": ["id", "role", "healthy"], "properties": {"id": {"type": "string"}, "role": {"type": "string", "enum": ["serve", "worker"]}, "host": {"type": "string"}, "pid": {"type": "integer"}, "slots": {"type": "integer"}, "started_at": {"type": "integer"}, "healthy": {"type": "boolean"}, "error": {"type": ["string", "null"]}, "filter": {"type": "object"}, "jobs_done": {"type": "integer"}, "seen_s_ago": {"type": ["number", "null"]}}}}}})), &["401", "429"])
                }
            },
            "/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": ok_json("OpenAPI 3.1", json!({"type": "object"}))
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Liveness: the process answers",
                    "security": [],
                    "responses": {"200": {"description": "`ok`", "content": {"text/plain": {"schema": {"type": "string"}}}}}
                }
            },
            "/readyz": {
                "get": {
                    "operationId": "readyz",
                    "summary": "Readiness: the job store answers",
                    "security": [],
                    "responses": {
                        "200": {"description": "`ready`", "content": {"text/plain": {"schema": {"type": "string"}}}},
                        "503": {"description": "The store does not answer", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    }
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics (text exposition format 0.0.4)",
                    "security": [],
                    "responses": {"200": {"description": "Requests and latencies by route, queue depth, jobs by state, scan time by media kind, bytes uploaded", "content": {"text/plain": {"schema": {"type": "string"}}}}}
                }
            }
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A key from `fakescope keys create`."}},
            "schemas": {
                "Status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                "Job": {
                    "type": "object",
                    "required": ["id", "status", "filename", "media", "bytes", "sha256", "created_at", "cached", "links"],
                    "properties": {
                        "id": {"type": "string"},
                        "status": {"$ref": "#/components/schemas/Status"},
                        "filename": {"type": "string"},
                        "media": {"type": "string", "enum": ["image", "audio", "video"]},
                        "bytes": {"type": "integer"},
                        "sha256": {"type": "string"},
                        "settings": {"type": "object", "description": "The scan options, defaults filled in"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "started_at": {"type": ["string", "null"], "format": "date-time"},
                        "finished_at": {"type": ["string", "null"], "format": "date-time"},
                        "attempts": {"type": "integer"},
                        "cached": {"type": "boolean", "description": "Answered from an earlier job with the same file and options"},
                        "result": {"type": ["object", "null"], "description": "GET /v1/scans/{id} only: the report `fakescope scan --json` prints for the file (fake_probability, verdict, calibrated, detectors, faces, tracks, timeline, image, segments, note)"},
                        "verdict": {"type": ["string", "null"], "description": "Lists only: the result's verdict"},
                        "fake_probability": {"type": ["number", "null"], "description": "Lists only: the result's fake probability"},
                        "error": {"type": ["string", "null"]},
                        "links": {"type": "object", "properties": {"self": {"type": "string"}, "file": {"type": "string"}}}
                    }
                },
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scan_option_is_a_parameter() {
        let doc = build();
        let params = doc["paths"]["/v1/scans"]["post"]["parameters"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        for option in [
            "fake_threshold",
            "crops",
            "frames",
            "fps",
            "hop",
            "max_pixels",
        ] {
            assert!(names.contains(&option), "{option} missing from {names:?}");
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
