//! A labelled form field that shows its own error, linked for screen readers.

use leptos::prelude::*;

/// A text input (or textarea) with its label, hint and error message.
///
/// The input is uncontrolled so the form posts natively before hydration; `value` is only its
/// initial content.
#[component]
pub fn Field(
    /// Makes the element ids unique on the page, e.g. "add" or "edit".
    #[prop(into)]
    form: String,
    /// The input's name: the server function argument and the payload property it fills.
    name: &'static str,
    label: &'static str,
    #[prop(into)] value: String,
    #[prop(into)] error: Signal<Option<String>>,
    maxlength: usize,
    #[prop(optional)] required: bool,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] input_type: Option<&'static str>,
    /// Visible lines of a multiline field.
    #[prop(optional)]
    rows: Option<u32>,
    /// What the browser may fill in (`email`, `current-password`...); off unless given.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let hint_id = hint_id.clone();
        let error_id = error_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let invalid = move || error.get().is_some().then_some("true");
    let control = if multiline {
        view! {
            <textarea
                id=id.clone()
                name=name
                rows=rows.unwrap_or(3)
                maxlength=maxlength
                required=required
                aria-invalid=invalid
                aria-describedby=described_by
            >
                {crate::raw_text::escaped(value)}
            </textarea>
        }
        .into_any()
    } else {
        view! {
            <input
                id=id.clone()
                name=name
                type=input_type.unwrap_or("text")
                value=value
                maxlength=maxlength
                required=required
                aria-invalid=invalid
                aria-describedby=described_by
                autocomplete=autocomplete.unwrap_or("off")
            />
        }
        .into_any()
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>
                {label}
                {required.then(|| view! { <span class="required" aria-hidden="true">" *"</span> })}
            </label>
            {control}
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            {move || {
                error
                    .get()
                    .map(|message| {
                        view! {
                            <p class="field-error" id=error_id.clone()>
                                {message}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// A labelled `<select>` with its hint and error message; `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    #[prop(into)] form: String,
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    #[prop(into)] selected: String,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let id = format!("{form}-{name}");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let options = options
        .into_iter()
        .map(|(value, text)| {
            let is_selected = value == selected;
            view! { <option value=value selected=is_selected>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <select
                id=id
                name=name
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            >
                {options}
            </select>
            {hint.map(|hint| view! { <p class="field-hint" id=hint_id>{hint}</p> })}
            {move || {
                error.get().map(|message| view! { <p class="field-error" id=error_id.clone()>{message}</p> })
            }}
        </div>
    }
}
