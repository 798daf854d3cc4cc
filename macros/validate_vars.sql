{#-
    validate_vars(): checks every tunable dbt var before anything is built
    (run as the project's on-run-start hook). A bad value stops the run with
    one line naming the var, the value and what it must be, e.g.

        Invalid var gross_margin '1.5': must be a number > 0 and <= 1.

    Vars not defined in the project (a newer var someone removed) are
    skipped. Numbers may be given as YAML numbers or as numeric text; the
    check also keeps var values that are pasted into SQL free of anything
    but the number.
-#}

{#- (var, kind, low, high, low_inclusive, high_inclusive); none = unbounded. -#}
{% macro var_rules() %}
    {{ return([
        ('gross_margin', 'number', 0, 1, false, true),
        ('annual_discount_rate', 'number', 0, 1, true, true),
        ('clv_horizon_months', 'integer', 1, 12000, true, true),
        ('churn_grace_days', 'integer', 0, 366, true, true),
        ('involuntary_churn_window_days', 'integer', 0, 366, true, true),
        ('past_due_churn_days', 'integer', 0, 366, true, true),
        ('hidden_churn_recent_window_days', 'integer', 1, 366, true, true),
        ('hidden_churn_baseline_window_days', 'integer', 1, 732, true, true),
        ('hidden_churn_decline_threshold', 'number', 0, 1, false, true),
        ('hidden_churn_noise_band', 'number', 0, 1, true, false),
        ('hidden_churn_inactive_days', 'integer', 1, 366, true, true),
        ('hidden_churn_seat_utilisation_threshold', 'number', 0, 1, true, true),
        ('hidden_churn_renewal_window_days', 'integer', 0, 366, true, true),
        ('hidden_churn_horizon_days', 'integer', 1, 732, true, true),
        ('hidden_churn_min_baseline_days', 'integer', 0, 732, true, true),
        ('hidden_churn_points_usage_decline', 'number', 0, 100, true, true),
        ('hidden_churn_points_inactivity', 'number', 0, 100, true, true),
        ('hidden_churn_points_low_seat_utilisation', 'number', 0, 100, true, true),
        ('hidden_churn_points_failed_payments', 'number', 0, 100, true, true),
        ('hidden_churn_points_past_due', 'number', 0, 100, true, true),
        ('hidden_churn_points_renewal_at_low_usage', 'number', 0, 100, true, true),
        ('hidden_churn_tier_low_score', 'number', 0, 100, true, true),
        ('hidden_churn_tier_medium_score', 'number', 0, 100, true, true),
        ('hidden_churn_tier_high_score', 'number', 0, 100, true, true),
        ('usage_before_churn_weeks', 'integer', 1, 260, true, true),
        ('forecast_trailing_months', 'integer', 1, 36, true, true),
        ('usage_lookback_days', 'integer', 0, 366, true, true),
        ('freshness_warn_days', 'integer', 0, 3660, true, true),
        ('freshness_error_days', 'integer', 0, 3660, true, true),
        ('landing_max_failed_share', 'number', 0, 1, false, true),
    ]) }}
{% endmacro %}


{#- How many files the landing directory holds (0 when it does not exist),
    listed by the engine that reads it; none where there is no way to list. -#}
{% macro landing_dir_file_count(directory) %}
    {{ return(adapter.dispatch('landing_dir_file_count', 'subscription_metrics')(directory)) }}
{% endmacro %}

{% macro default__landing_dir_file_count(directory) %}
    {{ return(none) }}
{% endmacro %}

{% macro duckdb__landing_dir_file_count(directory) %}
    {%- set listed = run_query("select count(*) from glob('" ~ directory | replace("'", "''") ~ "/*')") -%}
    {{ return(listed.rows[0][0]) }}
{% endmacro %}


{% macro invalid_var(name, value, must) %}
    {{ exceptions.raise_compiler_error("Invalid var " ~ name ~ " '" ~ value ~ "': " ~ must ~ ".") }}
{% endmacro %}


{#- The value of a numeric var as a number, or an error naming the var. -#}
{% macro checked_number(name, value, kind, low=none, high=none, low_inclusive=true, high_inclusive=true) %}
    {%- set bounds = [] -%}
    {%- if low is not none -%}{%- do bounds.append(('>= ' if low_inclusive else '> ') ~ low) -%}{%- endif -%}
    {%- if high is not none -%}{%- do bounds.append(('<= ' if high_inclusive else '< ') ~ high) -%}{%- endif -%}
    {%- set must = 'must be ' ~ ('an integer' if kind == 'integer' else 'a number')
        ~ ((' ' ~ bounds | join(' and ')) if bounds else '') -%}
    {%- if value is none or value is boolean or value is mapping
            or (value is iterable and value is not string) -%}
        {{ invalid_var(name, value, must) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '^[+-]?[0-9]+$' if kind == 'integer' else '^[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?$' -%}
    {%- if not modules.re.match(pattern, text) -%}
        {{ invalid_var(name, value, must) }}
    {%- endif -%}
    {%- set number = text | int if kind == 'integer' else text | float -%}
    {%- if (low is not none and (number < low or (number == low and not low_inclusive)))
            or (high is not none and (number > high or (number == high and not high_inclusive))) -%}
        {{ invalid_var(name, value, must) }}
    {%- endif -%}
    {{ return(number) }}
{% endmacro %}


{#- The as_of_date var as YYYY-MM-DD text (today, UTC, when unset), or an
    error: not that format, not a calendar date, or outside 1970-2199. -#}
{% macro checked_as_of_date() %}
    {%- set value = var('as_of_date', '') -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d') -%}
    {%- endif -%}
    {%- set value = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ invalid_var('as_of_date', value, 'expected a date as YYYY-MM-DD') }}
    {%- endif -%}
    {%- set year = value[0:4] | int -%}
    {%- set month = value[5:7] | int -%}
    {%- set day = value[8:10] | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > days_in_month[month - 1] -%}
        {{ invalid_var('as_of_date', value, 'not a calendar date') }}
    {%- endif -%}
    {%- if year < 1970 or year > 2199 -%}
        {{ invalid_var('as_of_date', value, 'expected a year between 1970 and 2199') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- A var holding a date as YYYY-MM-DD text: the text, or an error naming
    the var (not that format, or not a calendar date). -#}
{% macro checked_iso_date(name, value) %}
    {%- set value = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value) -%}
        {{ invalid_var(name, value, 'expected a date as YYYY-MM-DD') }}
    {%- endif -%}
    {%- set year = value[0:4] | int -%}
    {%- set month = value[5:7] | int -%}
    {%- set day = value[8:10] | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days_in_month = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if month < 1 or month > 12 or day < 1 or day > days_in_month[month - 1] -%}
        {{ invalid_var(name, value, 'not a calendar date') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- The earliest_plausible_date var as YYYY-MM-DD text, or an error: not a
    date, before 1900-01-01 (the earliest date the landing reader types), or
    not before as_of_date. -#}
{% macro checked_earliest_plausible_date() %}
    {%- set value = var('earliest_plausible_date', '2000-01-01') -%}
    {%- if value is none or value is boolean or value is mapping or (value is iterable and value is not string) -%}
        {{ invalid_var('earliest_plausible_date', value, 'expected a date as YYYY-MM-DD') }}
    {%- endif -%}
    {%- set value = checked_iso_date('earliest_plausible_date', value) -%}
    {%- if value < '1900-01-01' -%}
        {{ invalid_var('earliest_plausible_date', value, 'must be 1900-01-01 or later') }}
    {%- endif -%}
    {%- if value >= checked_as_of_date() -%}
        {{ invalid_var('earliest_plausible_date', value, 'must be before as_of_date (' ~ checked_as_of_date() ~ ')') }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- The missing_value_tokens var: a list (possibly empty) of short texts
    without quotes, control characters or leading/trailing spaces (values
    are compared after trimming, and the tokens are pasted into SQL). -#}
{% macro check_missing_value_tokens() %}
    {%- set tokens = var('missing_value_tokens', none) -%}
    {%- if tokens is none -%}{{ return(none) }}{%- endif -%}
    {%- if tokens is string or tokens is mapping or tokens is not iterable -%}
        {{ invalid_var('missing_value_tokens', tokens, 'must be a list of texts such as ["NULL", "N/A"] (or [])') }}
    {%- endif -%}
    {%- for token in tokens -%}
        {%- if token is not string or token | length == 0 or token | length > 20 or token != token | trim
                or "'" in token or '"' in token or modules.re.search('[\\x00-\\x1f\\x7f]', token) -%}
            {{ invalid_var('missing_value_tokens', tokens,
                'every entry must be a text of 1 to 20 characters without quotes, control characters or '
                ~ 'leading/trailing spaces, got ' ~ token) }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}


{% macro validate_vars() %}
    {%- if not execute -%}
        {{ return('select 1 as vars_valid') }}
    {%- endif -%}
    {%- do checked_as_of_date() -%}

    {%- set raw_dir = var('raw_data_dir', none) -%}
    {%- if raw_dir is none or raw_dir is not string or raw_dir | trim == '' -%}
        {{ invalid_var('raw_data_dir', raw_dir, 'must be the path of the landing directory') }}
    {%- endif -%}
    {%- set listed = landing_dir_file_count((raw_dir | string).rstrip('/')) -%}
    {%- if listed is not none and listed == 0 -%}
        {{ invalid_var('raw_data_dir', raw_dir,
            'the landing directory does not exist or is empty (generate demo data with '
            ~ '`python scripts/generate_data.py --scale demo`)') }}
    {%- endif -%}

    {%- set currency = var('reporting_currency', 'USD') -%}
    {%- if currency is not string or not modules.re.match('^[A-Z]{3}$', currency) -%}
        {{ invalid_var('reporting_currency', currency, 'must be a 3-letter upper-case ISO 4217 code such as USD') }}
    {%- endif -%}

    {%- set system = var('source_system', 'contract') -%}
    {%- if (system | string | trim | lower) not in ['contract', 'stripe'] -%}
        {{ invalid_var('source_system', system, 'must be contract (the landing contract files) or stripe (Stripe objects, docs/stripe.md)') }}
    {%- endif -%}

    {%- set recognition = var('churn_recognition', 'effective') -%}
    {%- if recognition not in ['effective', 'scheduled'] -%}
        {{ invalid_var('churn_recognition', recognition, 'must be effective or scheduled') }}
    {%- endif -%}

    {%- set values = {} -%}
    {%- for name, kind, low, high, low_inclusive, high_inclusive in var_rules() -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none -%}
            {%- do values.update({name: checked_number(name, value, kind, low, high, low_inclusive, high_inclusive)}) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if 'hidden_churn_tier_low_score' in values and 'hidden_churn_tier_medium_score' in values
            and 'hidden_churn_tier_high_score' in values
            and not (values.hidden_churn_tier_low_score <= values.hidden_churn_tier_medium_score
                     <= values.hidden_churn_tier_high_score) -%}
        {{ invalid_var('hidden_churn_tier_medium_score', values.hidden_churn_tier_medium_score,
            'the tier scores must rise: low <= medium <= high (got ' ~ values.hidden_churn_tier_low_score
            ~ ', ' ~ values.hidden_churn_tier_medium_score ~ ', ' ~ values.hidden_churn_tier_high_score ~ ')') }}
    {%- endif -%}
    {%- if 'freshness_warn_days' in values and 'freshness_error_days' in values
            and values.freshness_warn_days > values.freshness_error_days -%}
        {{ invalid_var('freshness_warn_days', values.freshness_warn_days,
            'must not be above freshness_error_days (' ~ values.freshness_error_days ~ ')') }}
    {%- endif -%}

    {%- do checked_earliest_plausible_date() -%}
    {%- do check_missing_value_tokens() -%}

    {%- set events = var('valuable_events', none) -%}
    {%- if events is not none -%}
        {%- if events is string or events is mapping or events is not iterable or events | length == 0 -%}
            {{ invalid_var('valuable_events', events, 'must be a non-empty list of event or feature names') }}
        {%- endif -%}
        {%- for event in events -%}
            {%- if event is not string or not modules.re.match('^[A-Za-z0-9_.:-]+$', event) -%}
                {{ invalid_var('valuable_events', events,
                    'every entry must be an event or feature name (letters, digits, _ . : -), got ' ~ event) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return('select 1 as vars_valid') }}
{% endmacro %}
