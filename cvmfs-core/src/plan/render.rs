//! Rendering a plan as JSON, TOML and a readable table.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use crate::plan::PlanError;
use crate::plan::{EntryRole, MountPlan};

impl MountPlan {
    /// The plan as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // A plan holds only strings, booleans and validated UTF-8 paths: serialising it
        // cannot fail, so the fallback is never taken.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a plan from JSON and validates it.
    pub fn from_json(text: &str) -> Result<Self, PlanError> {
        let plan: Self =
            serde_json::from_str(text).map_err(|source| PlanError::ReadJson { source })?;
        plan.validate()?;
        Ok(plan)
    }

    /// The plan as TOML.
    pub fn to_toml(&self) -> Result<String, PlanError> {
        toml::to_string(self).map_err(|source| PlanError::RenderToml { source })
    }

    /// Reads a plan from TOML and validates it.
    pub fn from_toml(text: &str) -> Result<Self, PlanError> {
        let plan: Self = toml::from_str(text).map_err(|source| PlanError::ReadToml { source })?;
        plan.validate()?;
        Ok(plan)
    }

    /// A table of every step for people, with the backend, root and unmount order.
    /// `width` is the terminal width to wrap to, if known.
    pub fn to_table(&self, width: Option<u16>) -> String {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        match width {
            Some(width) => {
                table.set_width(width);
                table.set_content_arrangement(ContentArrangement::Dynamic);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        table.set_header(["#", "repository", "step", "target", "detail"]);
        let mut number = 0;
        for entry in self.entries() {
            let name = match (entry.role(), entry.repository()) {
                (EntryRole::ConfigRepository, Some(fqrn)) => format!("{fqrn} (config)"),
                (_, Some(fqrn)) => fqrn.to_string(),
                (_, None) => "(whole root)".to_owned(),
            };
            for step in entry.steps() {
                number += 1;
                table.add_row([
                    number.to_string(),
                    name.clone(),
                    step.action().to_owned(),
                    step.target().display().to_string(),
                    step.detail(),
                ]);
            }
        }
        let mut out = format!(
            "Mount plan: backend {}, root {}, {} mount(s), {}\n",
            self.backend(),
            self.root().display(),
            self.entries().len(),
            match self.backend() {
                crate::Backend::Cvmfs2Helper
                | crate::Backend::Native
                | crate::Backend::Snapshot { .. } => "mounts are read-only",
                _ if self.read_only() => "binds read-only",
                _ => "binds read-write",
            }
        );
        if self.entries().is_empty() {
            out.push_str("Nothing is selected: no step to run.\n");
            return out;
        }
        out.push_str(&table.to_string());
        out.push_str("\nUnmount order:");
        for target in self.unmount_order() {
            out.push_str("\n  ");
            out.push_str(&target.display().to_string());
        }
        out.push('\n');
        out
    }
}
