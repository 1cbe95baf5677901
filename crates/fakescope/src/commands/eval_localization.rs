//! `fakescope eval-localization`: AP and AR of temporal fake-segment proposals.

use std::io::Write;

use anyhow::{Context, Result, bail};
use fakescope_eval::input::localization::{LocalizationReadOptions, read_localization};
use fakescope_metrics::localization::{self, LocalizationParams};

use crate::cli::{EvalLocalizationArgs, GlobalArgs, LocalizationPresetArg};

/// Runs `fakescope eval-localization`.
pub fn run(global: &GlobalArgs, args: &EvalLocalizationArgs) -> Result<bool> {
    let mut params = match args.preset {
        LocalizationPresetArg::AvDeepfake1m => LocalizationParams::av_deepfake1m(),
        LocalizationPresetArg::LavDf => LocalizationParams::lav_df(),
    };
    if !args.iou.is_empty() {
        params.ap_iou_thresholds = args.iou.clone();
    }
    if !args.proposals.is_empty() {
        params.ar_proposal_counts = args.proposals.clone();
    }
    if let Err(e) = params.validate() {
        bail!("{e}");
    }
    let input = read_localization(
        &args.metadata,
        &args.predictions,
        &LocalizationReadOptions {
            file_key: args.file_key.clone(),
            segments_key: args.segments_key.clone(),
            missing_as_empty: args.missing_as_empty,
            ignore_unknown: !args.strict,
        },
    )?;
    let result =
        localization::evaluate(&input.truth, &input.predictions, &params).with_context(|| {
            format!(
                "cannot evaluate {} against {}",
                args.predictions.display(),
                args.metadata.display()
            )
        })?;
    let preset = match args.preset {
        LocalizationPresetArg::AvDeepfake1m => "av-deepfake1m",
        LocalizationPresetArg::LavDf => "lav-df",
    };

    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::json!({
            "fakescope_version": env!("CARGO_PKG_VERSION"),
            "metadata": args.metadata.display().to_string(),
            "predictions": args.predictions.display().to_string(),
            "preset": preset,
            "params": params,
            "result": result,
            "warnings": input.warnings,
        });
        serde_json::to_writer(&mut out, &json)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "temporal localization ({preset} evaluator semantics): {} videos, {} fake segments, {} proposals",
            result.videos, result.segments, result.proposals
        )?;
        writeln!(out, "{:<12} {:>8}", "METRIC", "VALUE")?;
        for ap in &result.ap {
            writeln!(out, "{:<12} {:>8.4}", format!("AP@{}", ap.iou), ap.ap)?;
        }
        for ar in &result.ar {
            writeln!(out, "{:<12} {:>8.4}", format!("AR@{}", ar.proposals), ar.ar)?;
        }
        writeln!(out, "{:<12} {:>8.4}", "mean AP", result.mean_ap)?;
        writeln!(out, "{:<12} {:>8.4}", "mean AR", result.mean_ar)?;
        writeln!(out, "{:<12} {:>8.4}", "score", result.score)?;
        if result.videos_without_proposals > 0 {
            writeln!(
                out,
                "{} videos had no proposals (their segments count as missed)",
                result.videos_without_proposals
            )?;
        }
    }
    out.flush()?;
    if !global.quiet {
        for w in &input.warnings {
            eprintln!("fakescope: warning: {w}");
        }
    }
    Ok(true)
}
