//! `report.html` of a training run: learning curves (training loss, validation loss and AUC
//! against steps) and the evaluation engine's report of the best model's validation scores
//! (ROC, DET, histograms, every metric), in one self-contained page.

use fakescope_eval::evaluate::{EvalOptions, evaluate};
use fakescope_eval::input::{HigherMeans, ScoreKind, ScoreTable};
use fakescope_eval::report::html::escape;
use fakescope_eval::report::{Series, html, line_chart};

use crate::recipe::Recipe;
use fakescope_models::trained::ModelCard;

/// The page: learning curves from `log` (the run's `log.jsonl`), then the evaluation of
/// `scores` (`(logit, is_fake)` of the best model on validation).
pub fn render(recipe: &Recipe, card: &ModelCard, log: &str, scores: &[(f64, bool)]) -> String {
    let mut train = Vec::new();
    let mut val_loss = Vec::new();
    let mut val_auc = Vec::new();
    for line in log.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let step = v.get("step").and_then(|s| s.as_f64()).unwrap_or(f64::NAN);
        let num = |k: &str| v.get(k).and_then(|s| s.as_f64()).unwrap_or(f64::NAN);
        match v.get("kind").and_then(|k| k.as_str()) {
            Some("train") => train.push((step, num("loss"))),
            Some("validation") => {
                val_loss.push((step, num("loss")));
                val_auc.push((step, num("auc")));
            }
            _ => {}
        }
    }
    let loss = line_chart(
        "Loss",
        "step",
        "binary cross-entropy",
        &[
            Series {
                name: "training (mean of 10 steps)".into(),
                points: train,
            },
            Series {
                name: "validation".into(),
                points: val_loss,
            },
        ],
    );
    let auc = line_chart(
        "Validation AUC",
        "step",
        "ROC AUC",
        &[Series {
            name: "validation".into(),
            points: val_auc,
        }],
    );
    let mut curves = format!(
        "<h1>Training run: {}</h1>\n<p>{} — {} from {}, input {} px, {} steps; model selection \
         and calibration on the validation split only.</p>\n<h2>Learning curves</h2>\n<div>\n",
        escape(&recipe.name),
        escape(&card.description),
        escape(&card.arch),
        escape(&recipe.model.init),
        card.input_size,
        card.training.steps
    );
    for plot in [loss, auc] {
        match plot {
            Ok(svg) => curves.push_str(&svg),
            Err(e) => curves.push_str(&format!("<p class=\"error\">{}</p>", escape(&e))),
        }
        curves.push('\n');
    }
    curves.push_str("</div>\n<h2>Validation of the best model</h2>\n");

    let table = ScoreTable {
        sources: vec!["validation split (logits of the best model)".into()],
        scores: scores.iter().map(|s| s.0).collect(),
        fake: scores.iter().map(|s| s.1).collect(),
        ids: None,
        video: None,
        group: None,
        condition: None,
        direction: HigherMeans::Fake,
        direction_reason: "the model's logit: higher = fake".into(),
        kind: ScoreKind::Score,
        warnings: Vec::new(),
    };
    let page = match evaluate(&table, &EvalOptions::default()) {
        Ok(report) => html::render(&report),
        Err(e) => format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"></head>\n<body>\n<p class=\"error\">{}</p>\n</body></html>\n",
            escape(&e.to_string())
        ),
    };
    match page.find("<body>\n") {
        Some(i) => {
            let at = i + "<body>\n".len();
            format!("{}{}{}", &page[..at], curves, &page[at..])
        }
        None => page,
    }
}
