/// Kith Template: say what happened. The fields are the schema's, `schemas/kith-template/v1.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KithTemplate {
    pub contact: String,
}
