//! `fakescope keys`: the API keys of `fakescope serve`, in its store.

use std::io::Write;

use anyhow::{Context, Result};
use fakescope_serve::store::JobStore;
use fakescope_serve::time::rfc3339;

use crate::cli::{DataArgs, KeysCommand};

fn open(data: &DataArgs) -> Result<Box<dyn JobStore>> {
    let dir = super::serve::data_dir(data)?;
    if data.store.is_none() {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(fakescope_serve::store::open(data.store.as_deref(), &dir)?)
}

/// Runs a `keys` subcommand.
pub fn run(command: &KeysCommand) -> Result<bool> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        KeysCommand::Create {
            name,
            rate,
            max_active_jobs,
            data,
        } => {
            let (key, secret) = open(data)?.create_key(name, *rate, *max_active_jobs)?;
            writeln!(out, "{secret}")?;
            eprintln!(
                "fakescope: key {} for \"{}\" created; it is shown only now. Send it as `Authorization: Bearer KEY`.",
                key.id, key.name
            );
        }
        KeysCommand::List { json, data } => {
            let keys = open(data)?.list_keys()?;
            if !json {
                writeln!(
                    out,
                    "{:<16}  {:<24}  {:<10}  {:>6}  {:>8}  CREATED",
                    "ID", "NAME", "STATE", "RATE", "MAX JOBS"
                )?;
            }
            for k in keys {
                if *json {
                    writeln!(out, "{}", serde_json::to_string(&k)?)?;
                } else {
                    let num = |v: Option<u32>| v.map_or("default".to_owned(), |n| n.to_string());
                    writeln!(
                        out,
                        "{:<16}  {:<24}  {:<10}  {:>6}  {:>8}  {}",
                        k.id,
                        k.name,
                        if k.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        },
                        num(k.rate_per_minute),
                        num(k.max_active_jobs),
                        rfc3339(k.created_at)
                    )?;
                }
            }
        }
        KeysCommand::Revoke { id, data } => {
            if !open(data)?.revoke_key(id)? {
                anyhow::bail!("no active key with id `{id}` (`fakescope keys list`)");
            }
            eprintln!("fakescope: key {id} revoked");
        }
    }
    Ok(true)
}
