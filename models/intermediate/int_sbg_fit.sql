-- The shifted-beta-geometric (sBG) retention model of Fader & Hardie (2007)
-- fitted by maximum likelihood per group (each segment and 'all'), pooling
-- all cohorts of the group, each censored at its own age.
--
-- Log-likelihood: with n_k customers at risk in period k and d_k of them
-- lost there, LL = sum_k d_k ln(1 - r_k) + (n_k - d_k) ln r_k, where
-- r_k = (beta + k - 1) / (alpha + beta + k - 1). This is the paper's
-- sum_t lost_t ln P(T = t) + sum_cohorts alive ln S(age) regrouped by period.
--
-- Search (portable SQL, a fixed number of steps):
-- 1. profile likelihood: on 121 log-spaced values of alpha + beta in
--    [0.002, 20000], maximise over u = logit(alpha / (alpha + beta)) with 6
--    safeguarded Newton steps from the observed first-period churn;
-- 2. from the best profile point, 8 safeguarded Newton steps in both
--    coordinates (Levenberg-Marquardt damping, best candidate wins).
-- On 300 random simulated data sets (1 to 46 periods, 5 to 5,000 customers
-- per cohort) it reached scipy's maximum (log-likelihood within 1e-8)
-- wherever the maximum lies inside the search box.
-- A plain zooming grid over (alpha, beta) is not used: the likelihood has a
-- long, narrow ridge, and zooming in around the best coarse point loses the
-- optimum (it lands on alpha = 0.677, beta = 3.881 for the paper's high-end
-- data instead of 0.668, 3.806), and a grid fine enough everywhere is too big.
{%- set profile_points = 121 %}
{%- set profile_steps = 6 %}
{%- set joint_steps = 8 %}

with survival_counts as (
    select * from {{ ref('int_cohort_survival_counts') }}
),

counts as (
    select
        segment,
        cast(period as {{ type_double() }}) as period,
        cast(customers_at_risk as {{ type_double() }}) as at_risk,
        cast(customers_lost as {{ type_double() }}) as lost,
        cast(customers_at_risk - customers_lost as {{ type_double() }}) as survivors
    from survival_counts
    where period >= 1 and customers_at_risk > 0
),

groups as (
    select
        segment,
        sum(lost) as total_lost,
        max(case when period = 1 then at_risk end) as first_at_risk,
        max(case when period = 1 then lost end) as first_lost,
        max(period) as last_period
    from counts
    group by segment
),

starts as (
    -- The first period's churn share estimates mu directly; kept inside
    -- (0, 1) so its logit exists.
    select
        segment,
        ln(least(greatest(first_lost, 0.5), first_at_risk - 0.5))
        - ln(first_at_risk - least(greatest(first_lost, 0.5), first_at_risk - 0.5)) as start_u
    from groups
),

{{ sbg_newton_step_sizes() }},

profile_grid as (
    select cast(generated_number as {{ dbt.type_int() }}) as point_id
    from ({{ dbt.generate_series(profile_points) }}) as series
),

profile_0 as (
    select
        starts.segment,
        profile_grid.point_id,
        greatest(-{{ sbg_max_abs_u() }}, least({{ sbg_max_abs_u() }}, starts.start_u)) as u,
        {{ sbg_min_log_phi() }}
        + (profile_grid.point_id - 1) * ({{ sbg_max_log_phi() }} - {{ sbg_min_log_phi() }})
        / {{ profile_points - 1 }} as log_phi
    from starts
    cross join profile_grid
),

{% for step in range(1, profile_steps + 1) %}
{{ sbg_newton_step('profile_' ~ step, 'profile_' ~ (step - 1), profile=true) }},  -- noqa: LT02
{% endfor %}

profile_ranked as (
    select
        *,
        row_number() over (
            partition by segment
            order by log_likelihood desc, point_id desc
        ) as profile_rank
    from profile_{{ profile_steps }}
),

joint_0 as (
    select
        segment,
        point_id,
        u,
        log_phi
    from profile_ranked
    where profile_rank = 1
),

{% for step in range(1, joint_steps + 1) %}
{{ sbg_newton_step('joint_' ~ step, 'joint_' ~ (step - 1), profile=false) }},  -- noqa: LT02
{% endfor %}

estimates as (
    select
        joint.segment,
        joint.u,
        joint.log_phi,
        joint.log_likelihood,
        {{ sbg_point_parameters('joint.u', 'joint.log_phi') | indent(8) }}
    from joint_{{ joint_steps }} as joint
),

final as (
    select
        estimates.segment,
        {{ round_significant('estimates.alpha', 6) }} as alpha,
        {{ round_significant('estimates.beta', 6) }} as beta,
        round(estimates.log_likelihood, 4) as log_likelihood,
        cast(groups.first_at_risk as {{ dbt.type_bigint() }}) as customers_observed,
        cast(groups.total_lost as {{ dbt.type_bigint() }}) as customers_lost,
        cast(groups.last_period as {{ dbt.type_int() }}) as last_observed_period,
        -- No churn, everyone lost in the first period, or a single period
        -- observed: the fit says nothing about how churn evolves.
        (
            groups.total_lost = 0
            or groups.last_period < 2
            or groups.first_lost = groups.first_at_risk
            or estimates.u <= -{{ sbg_max_abs_u() }} + 0.000001
            or estimates.u >= {{ sbg_max_abs_u() }} - 0.000001
        ) as is_degenerate,
        -- alpha + beta at the edge of the search: at the upper edge the data
        -- show no heterogeneity (the sBG tends to a plain geometric model).
        (
            estimates.log_phi <= {{ sbg_min_log_phi() }} + 0.000001
            or estimates.log_phi >= {{ sbg_max_log_phi() }} - 0.000001
        ) as is_at_search_bound
    from estimates
    inner join groups
        on estimates.segment = groups.segment
)

select * from final
