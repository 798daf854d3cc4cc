-- Hidden churn risk (docs/definitions.md): every paying customer at every snapshot (each
-- month's last day, and as_of_date), scored 0-100 on the signs of a customer
-- who pays but fades, or pays and never uses. The score is the sum of the
-- points of each signal, capped at 100 (weights and cut-offs are vars; the
-- rules are in the model's YAML and macros/metrics/hidden_churn.sql):
--   usage decline     recent vs baseline usage rates (needs a full baseline)
--   inactivity        no activity for hidden_churn_inactive_days days
--   low seat use      recent active users / licensed seats below threshold
--   payments          failed payment attempts; past-due status
--   renewal           annual renewal within the window while usage is low
{%- set recent_days = var('hidden_churn_recent_window_days') | int %}
{%- set baseline_days = var('hidden_churn_baseline_window_days') | int %}
{%- set min_baseline_days = var('hidden_churn_min_baseline_days') | int %}
{%- set noise_band = var('hidden_churn_noise_band') | float %}
{%- set decline_threshold = var('hidden_churn_decline_threshold') | float %}
{%- set inactive_days = var('hidden_churn_inactive_days') | int %}
{%- set seat_threshold = var('hidden_churn_seat_utilisation_threshold') | float %}
{%- set renewal_window_days = var('hidden_churn_renewal_window_days') | int %}
{%- if min_baseline_days > baseline_days %}
    {{ exceptions.raise_compiler_error(
        "hidden_churn_min_baseline_days (" ~ min_baseline_days ~ ") cannot exceed hidden_churn_baseline_window_days ("
        ~ baseline_days ~ "): no customer would ever have a full baseline."
    ) }}
{%- endif %}
{%- set days_since_last_activity = dbt.datediff(
    'coalesce(last_active_date, history_start_date)', 'snapshot_date', 'day'
) %}
{%- set days_to_renewal = dbt.datediff('snapshot_date', 'next_renewal_date', 'day') %}
{#- The usage measures whose declines are scored, with their words. -#}
{%- set measures = [
    ('logins', 'logins'),
    ('session_minutes', 'session time'),
    ('valuable_actions', 'valuable actions'),
    ('active_users', 'active users'),
] %}

with snapshots as (
    select * from {{ ref('int_hidden_churn_snapshots') }}
),

usage_windows as (
    select * from {{ ref('int_hidden_churn_usage_windows') }}
),

payment_signals as (
    select * from {{ ref('int_hidden_churn_payment_signals') }}
),

joined as (
    select
        snapshots.customer_id,
        snapshots.snapshot_date,
        snapshots.segment,
        snapshots.plan_id,
        snapshots.mrr,
        snapshots.licensed_seats,
        snapshots.is_past_due,
        snapshots.has_annual_contract,
        snapshots.next_renewal_date,
        usage_windows.history_days,
        usage_windows.recent_days_covered,
        usage_windows.baseline_days_covered,
        usage_windows.last_active_date,
        usage_windows.history_start_date,
        usage_windows.recent_active_users,
        usage_windows.recent_active_days,
        usage_windows.recent_logins,
        usage_windows.recent_session_minutes,
        usage_windows.recent_valuable_actions,
        usage_windows.recent_user_days,
        usage_windows.baseline_active_days,
        usage_windows.baseline_logins,
        usage_windows.baseline_session_minutes,
        usage_windows.baseline_valuable_actions,
        usage_windows.baseline_user_days,
        coalesce(payment_signals.failed_payment_attempts, 0) as failed_payment_attempts,
        usage_windows.baseline_days_covered >= {{ min_baseline_days }} as has_full_baseline
    from snapshots
    inner join usage_windows
        on
            snapshots.customer_id = usage_windows.customer_id
            and snapshots.snapshot_date = usage_windows.snapshot_date
    left join payment_signals
        on
            snapshots.customer_id = payment_signals.customer_id
            and snapshots.snapshot_date = payment_signals.snapshot_date
),

rates as (
    -- Rates per day the customer existed in each window, so windows of
    -- different lengths (and young customers) compare like for like.
    select
        *,
        {{ ratio('baseline_logins', 'baseline_active_days') }} as baseline_logins_per_active_day,
        {{ ratio('recent_logins', 'recent_active_days') }} as recent_logins_per_active_day,
        {{ per_week('baseline_logins', 'baseline_days_covered') }} as baseline_logins_per_week,
        {{ per_week('recent_logins', 'recent_days_covered') }} as recent_logins_per_week,
        {{ per_week('baseline_session_minutes', 'baseline_days_covered') }} as baseline_session_minutes_per_week,
        {{ per_week('recent_session_minutes', 'recent_days_covered') }} as recent_session_minutes_per_week,
        {{ per_week('baseline_valuable_actions', 'baseline_days_covered') }} as baseline_valuable_actions_per_week,
        {{ per_week('recent_valuable_actions', 'recent_days_covered') }} as recent_valuable_actions_per_week,
        {{ ratio('baseline_user_days', 'baseline_days_covered') }} as baseline_active_users_per_day,
        {{ ratio('recent_user_days', 'recent_days_covered') }} as recent_active_users_per_day,
        {{ ratio('recent_active_users', 'licensed_seats') }} as seat_utilisation,
        {{ days_since_last_activity }} as days_since_last_activity,
        {{ days_to_renewal }} as days_to_renewal
    from joined
),

declines as (
    -- A decline is only measured against a full baseline.
    select
        *,
        case when has_full_baseline then
                {{ usage_decline('baseline_logins_per_active_day', 'recent_logins_per_active_day') }}
        end as logins_per_active_day_decline,
        case when has_full_baseline then
                {{ usage_decline('baseline_logins_per_week', 'recent_logins_per_week') }}
        end as logins_decline,
        case when has_full_baseline then
                {{ usage_decline('baseline_session_minutes_per_week', 'recent_session_minutes_per_week') }}
        end as session_minutes_decline,
        case when has_full_baseline then
                {{ usage_decline('baseline_valuable_actions_per_week', 'recent_valuable_actions_per_week') }}
        end as valuable_actions_decline,
        case when has_full_baseline then
                {{ usage_decline('baseline_active_users_per_day', 'recent_active_users_per_day') }}
        end as active_users_decline
    from rates
),

combined as (
    -- Usage decline = the average of the measures' declines, each clamped
    -- to [0, 1]; a measure with a zero baseline is left out.
    {%- set clamped_terms = [] %}
    {%- set counted_terms = [] %}
    {%- for name, _ in measures %}
        {%- do clamped_terms.append('coalesce(' ~ clamp(name ~ '_decline', 0, 1) ~ ', 0)') %}
        {%- do counted_terms.append('case when ' ~ name ~ '_decline is null then 0 else 1 end') %}
    {%- endfor %}
    select
        *,
        cast({{ safe_divide(clamped_terms | join(' + '), counted_terms | join(' + ')) }} as {{ type_double() }})
            as usage_decline
    from declines
),

signals as (
    select
        *,
        days_since_last_activity >= {{ inactive_days }} as is_inactive,
        recent_days_covered >= {{ recent_days }}
        and seat_utilisation < {{ seat_threshold }} as has_low_seat_utilisation,
        coalesce(usage_decline >= {{ decline_threshold }}, false) as has_usage_decline
    from combined
),

points as (
    select
        *,
        cast(round({{ usage_decline_points('usage_decline') }}, 2) as {{ type_double() }}) as usage_decline_points,
        case when is_inactive then {{ var('hidden_churn_points_inactivity') }} else 0 end as inactivity_points,
        case
            when coalesce(has_low_seat_utilisation, false) then {{ var('hidden_churn_points_low_seat_utilisation') }}
            else 0
        end as seat_utilisation_points,
        case when failed_payment_attempts > 0 then {{ var('hidden_churn_points_failed_payments') }} else 0 end
        + case when is_past_due then {{ var('hidden_churn_points_past_due') }} else 0 end as payment_points,
        case
            when
                has_annual_contract
                and days_to_renewal <= {{ renewal_window_days }}
                and (is_inactive or coalesce(has_low_seat_utilisation, false) or has_usage_decline)
                then {{ var('hidden_churn_points_renewal_at_low_usage') }}
            else 0
        end as renewal_points
    from signals
),

scored as (
    select
        *,
        cast(least(100, round(
            usage_decline_points + inactivity_points + seat_utilisation_points + payment_points + renewal_points, 0
        )) as integer) as risk_score
    from points
),

explained as (
    select
        *,
        {{ hidden_churn_risk_tier('risk_score') }} as risk_tier,
        {{ hidden_churn_reasons(measures) }} as reasons
    from scored
),

final as (
    select
        customer_id,
        snapshot_date,
        segment,
        plan_id,
        cast(mrr as decimal(18, 2)) as mrr,
        risk_score,
        risk_tier,
        risk_tier in ('medium', 'high') as is_at_risk,
        reasons,
        cast(case when risk_tier in ('medium', 'high') then mrr else 0 end as decimal(18, 2)) as mrr_at_risk,
        cast(licensed_seats as {{ dbt.type_bigint() }}) as licensed_seats,
        cast(recent_active_users as {{ dbt.type_bigint() }}) as recent_active_users,
        seat_utilisation,
        last_active_date,
        cast(days_since_last_activity as integer) as days_since_last_activity,
        cast(history_days as integer) as history_days,
        has_full_baseline,
        cast(recent_active_days as {{ dbt.type_bigint() }}) as recent_active_days,
        cast(baseline_active_days as {{ dbt.type_bigint() }}) as baseline_active_days,
        baseline_logins_per_active_day,
        recent_logins_per_active_day,
        cast(logins_per_active_day_decline as {{ type_double() }}) as logins_per_active_day_decline,
        baseline_logins_per_week,
        recent_logins_per_week,
        cast(logins_decline as {{ type_double() }}) as logins_decline,
        baseline_session_minutes_per_week,
        recent_session_minutes_per_week,
        cast(session_minutes_decline as {{ type_double() }}) as session_minutes_decline,
        baseline_valuable_actions_per_week,
        recent_valuable_actions_per_week,
        cast(valuable_actions_decline as {{ type_double() }}) as valuable_actions_decline,
        baseline_active_users_per_day,
        recent_active_users_per_day,
        cast(active_users_decline as {{ type_double() }}) as active_users_decline,
        usage_decline,
        cast(failed_payment_attempts as {{ dbt.type_bigint() }}) as failed_payment_attempts,
        is_past_due,
        has_annual_contract,
        next_renewal_date,
        cast(days_to_renewal as integer) as days_to_renewal,
        usage_decline_points,
        cast(inactivity_points as integer) as inactivity_points,
        cast(seat_utilisation_points as integer) as seat_utilisation_points,
        cast(payment_points as integer) as payment_points,
        cast(renewal_points as integer) as renewal_points
    from explained
)

select * from final
