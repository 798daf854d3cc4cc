-- The shifted-beta-geometric (sBG) projection of logo survival (Fader &
-- Hardie 2007), per segment and for the whole business ('all'): the fitted
-- alpha and beta, and per period since the cohort month the actual pooled
-- survival (where observed), the fitted survival and, beyond the observed
-- periods, the projected one. Actual survival pools all cohorts of the group,
-- each censored at its own age: S(t) = prod_{k <= t} (1 - lost_k / at_risk_k).
-- Probabilities are rounded to 10 decimals. Periods run from 0 to 60 or the longest observed period, whichever is more.
{%- set min_projection_periods = 60 %}

with fits as (
    select * from {{ ref('int_sbg_fit') }}
),

survival_counts as (
    select * from {{ ref('int_cohort_survival_counts') }}
),

period_series as (
    select cast(generated_number - 1 as {{ dbt.type_int() }}) as period
    from ({{ dbt.generate_series(min_projection_periods + 1) }}) as series
),

observed_periods as (
    select distinct period
    from survival_counts
),

all_periods as (
    select period from period_series
    union
    select period from observed_periods
),

group_periods as (
    select
        fits.segment,
        all_periods.period,
        fits.alpha,
        fits.beta,
        fits.log_likelihood,
        fits.last_observed_period
    from fits
    cross join all_periods
),

with_counts as (
    select
        group_periods.*,
        survival_counts.customers_at_risk,
        survival_counts.customers_lost,
        -- ln of the observed share renewing into the period; a period that
        -- lost everyone ends the observed curve at 0.
        case
            when survival_counts.customers_lost < survival_counts.customers_at_risk
                then ln(
                        survival_counts.customers_surviving
                        / cast(survival_counts.customers_at_risk as {{ type_double() }})
                    )
        end as log_observed_retention,
        case
            when survival_counts.customers_lost = survival_counts.customers_at_risk then 1 else 0
        end as lost_everyone,
        case
            when group_periods.period = 0 then 0
            else {{ sbg_log_retention('group_periods.alpha', 'group_periods.beta',
                                      'greatest(group_periods.period, 1)') }}
        end as log_fitted_retention
    from group_periods
    left join survival_counts
        on
            group_periods.segment = survival_counts.segment
            and group_periods.period = survival_counts.period
),

cumulated as (
    select
        *,
        sum(coalesce(log_observed_retention, 0)) over (
            partition by segment order by period rows between unbounded preceding and current row
        ) as log_actual_survival,
        max(lost_everyone) over (
            partition by segment order by period rows between unbounded preceding and current row
        ) as has_lost_everyone,
        sum(log_fitted_retention) over (
            partition by segment order by period rows between unbounded preceding and current row
        ) as log_fitted_survival
    from with_counts
),

final as (
    select
        segment,
        period,
        alpha,
        beta,
        log_likelihood,
        customers_at_risk,
        customers_lost,
        cast(round(
            case
                when period > last_observed_period then null
                when has_lost_everyone = 1 then 0
                else exp(log_actual_survival)
            end, 10
        ) as {{ type_double() }}) as actual_survival,
        cast(round(exp(log_fitted_survival), 10) as {{ type_double() }}) as fitted_survival,
        -- P(T = t): the share of a new cohort expected to be lost at period t.
        cast(round(
            case
                when period = 0 then 0
                else exp(log_fitted_survival - log_fitted_retention) - exp(log_fitted_survival)
            end, 10
        ) as {{ type_double() }}) as fitted_churn_probability,
        cast(round(exp(log_fitted_retention), 10) as {{ type_double() }}) as fitted_retention_rate,
        period > last_observed_period as is_projection
    from cumulated
)

select * from final
