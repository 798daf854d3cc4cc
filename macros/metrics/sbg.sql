{#-
    The shifted-beta-geometric (sBG) model of Fader & Hardie, "How to project
    customer retention" (2007), in portable SQL.

    A customer renews each period with a probability 1 - theta that is fixed
    for that customer; theta ~ Beta(alpha, beta) across customers. A customer
    alive at period k - 1 renews into period k with probability
        r_k = (beta + k - 1) / (alpha + beta + k - 1),
    and churns at k with 1 - r_k = alpha / (alpha + beta + k - 1), so
        S(t) = prod_{k <= t} r_k,   P(T = t) = S(t - 1) * alpha / (alpha + beta + t - 1).
    Everything below is a sum of logs over periods: no engine-specific
    functions, no recursion.

    The fit works in u = logit(alpha / (alpha + beta)) (the mean churn
    probability of the first period, which the data pins down sharply) and
    log_phi = ln(alpha + beta). The likelihood has a long, narrow ridge in
    (alpha, beta); in these coordinates the ridge runs almost along log_phi.
-#}

{#- Search box: alpha + beta in [0.002, 20000], first-period churn logit in [-25, 25]. -#}
{% macro sbg_min_log_phi() %}ln(0.002){% endmacro %}
{% macro sbg_max_log_phi() %}ln(20000.0){% endmacro %}
{% macro sbg_max_abs_u() %}25.0{% endmacro %}


{#- mu, 1 - mu, phi, alpha, beta and ln(alpha) of a point (u, log_phi), with
    1 - mu computed directly so it keeps its precision when mu is near 1. -#}
{% macro sbg_point_parameters(u, log_phi) -%}
    1.0 / (1.0 + exp(-({{ u }}))) as mu,
    exp(-({{ u }})) / (1.0 + exp(-({{ u }}))) as one_minus_mu,
    exp({{ log_phi }}) as phi,
    exp({{ log_phi }}) / (1.0 + exp(-({{ u }}))) as alpha,
    exp({{ log_phi }}) * exp(-({{ u }})) / (1.0 + exp(-({{ u }}))) as beta,
    {{ log_phi }} - ln(1.0 + exp(-({{ u }}))) as log_alpha
{%- endmacro %}


{#- The log-likelihood contribution of one period: `lost` customers churned
    at `period` and `survivors` renewed into it. -#}
{% macro sbg_log_likelihood_term(period, lost, survivors, log_alpha, beta, phi) -%}
    {{ lost }} * ({{ log_alpha }} - ln({{ phi }} + {{ period }} - 1))
    + {{ survivors }} * (ln({{ beta }} + {{ period }} - 1) - ln({{ phi }} + {{ period }} - 1))
{%- endmacro %}


{#- A positive number rounded to `digits` significant digits, as the double
    nearest to that decimal (an integer divided by an exact power of ten). -#}
{% macro round_significant(expression, digits) -%}
    case
        when {{ expression }} > 0 and {{ digits }} - 1 - floor(ln({{ expression }}) / ln(10.0)) >= 0
            then round({{ expression }} * power(10.0, {{ digits }} - 1 - floor(ln({{ expression }}) / ln(10.0))))
            / power(10.0, {{ digits }} - 1 - floor(ln({{ expression }}) / ln(10.0)))
        when {{ expression }} > 0
            then round({{ expression }} / power(10.0, floor(ln({{ expression }}) / ln(10.0)) + 1 - {{ digits }}))
            * power(10.0, floor(ln({{ expression }}) / ln(10.0)) + 1 - {{ digits }})
        else {{ expression }}
    end
{%- endmacro %}


{#- ln r_k: the log of the probability of renewing into period k. -#}
{% macro sbg_log_retention(alpha, beta, period) -%}
    (ln({{ beta }} + {{ period }} - 1) - ln({{ alpha }} + {{ beta }} + {{ period }} - 1))
{%- endmacro %}


{#- ln of the monthly discount factor for a yearly rate: -ln(1 + rate) / 12. -#}
{% macro log_monthly_discount_factor(annual_rate) -%}
    (-ln(1.0 + {{ annual_rate }}) / 12.0)
{%- endmacro %}


{#- How many future months the expected remaining lifetime sums (the tail
    beyond 100 years is below 0.01 month at a 10% discount rate). -#}
{% macro clv_horizon_months() -%}
    {{ var('clv_horizon_months') | int }}
{%- endmacro %}


{#- A keyword that makes the engine compute a CTE once, before using it.
    Each Newton step is one: left inline, DuckDB's optimizer rewrites the
    chain of steps as a whole, which takes exponentially long in the number
    of steps. Engines without the keyword plan CTEs one by one anyway. -#}
{% macro materialized_cte() %}
    {{ return(adapter.dispatch('materialized_cte', 'subscription_metrics')()) }}
{% endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized {% endmacro %}


{#- The candidate steps of sbg_newton_step, as two CTEs to define once
    before the first step: `sbg_profile_steps` (fractions of the Newton step
    in u; 0 = stay) and `sbg_joint_steps` (dampings; null = stay). -#}
{% macro sbg_newton_step_sizes() -%}
sbg_profile_steps as (
    {%- for step_size in [0.0, 1.0, 0.5, 0.25] %}
    select {{ loop.index }} as candidate_id, {{ step_size }} as step_size{{ " union all" if not loop.last }}
    {%- endfor %}
),

sbg_joint_steps as (
    select 0 as candidate_id, cast(null as {{ type_double() }}) as damping
    {%- for damping in [0.0, 0.000001, 0.0001, 0.01, 1.0] %}
    union all select {{ loop.index }} as candidate_id, {{ damping }} as damping
    {%- endfor %}
)
{%- endmacro %}


{#- One safeguarded Newton step of the sBG fit, as CTEs named `<name>_*` and
    `<name>`. `previous` holds points (`segment`, `point_id`, `u`, `log_phi`);
    `counts` (`segment`, `period`, `at_risk`, `lost`, `survivors`) and
    `groups` (`segment`, `total_lost`) are the data.

    profile=true moves u only (log_phi stays on its grid point); otherwise
    u and log_phi move together, with Levenberg-Marquardt damping
    H - c * (|H_uu| + |H_vv|) * I for several c. Among the candidate points
    (the current one included) the one with the highest likelihood wins, so
    a step never makes the fit worse. -#}
{% macro sbg_newton_step(name, previous, profile=false) -%}
{{ name }}_parameters as (
    select
        previous_points.segment,
        previous_points.point_id,
        previous_points.u,
        previous_points.log_phi,
        {{ sbg_point_parameters('previous_points.u', 'previous_points.log_phi') | indent(8) }}
    from {{ previous }} as previous_points{{ hide_row_count_bound() }}
),

{{ name }}_sums as (
    -- The sums the gradient and Hessian are made of.
    select
        points.segment,
        points.point_id,
        points.u,
        points.log_phi,
        points.mu,
        points.one_minus_mu,
        points.phi,
        points.alpha,
        points.beta,
        groups.total_lost,
        sum(counts.survivors / (points.beta + counts.period - 1)) as s1,
        sum(counts.survivors / ((points.beta + counts.period - 1) * (points.beta + counts.period - 1))) as s2,
        sum(counts.at_risk / (points.phi + counts.period - 1)) as t1,
        sum(counts.at_risk / ((points.phi + counts.period - 1) * (points.phi + counts.period - 1))) as t2
    from {{ name }}_parameters as points
    inner join groups
        on points.segment = groups.segment
    inner join counts
        on points.segment = counts.segment
    group by
        points.segment,
        points.point_id,
        points.u,
        points.log_phi,
        points.mu,
        points.one_minus_mu,
        points.phi,
        points.alpha,
        points.beta,
        groups.total_lost
),

{{ name }}_raw_derivatives as (
    -- d/du and d/dlog_phi of the log-likelihood and its Hessian.
    select
        segment,
        point_id,
        u,
        log_phi,
        one_minus_mu * (total_lost - alpha * s1) as gradient_u,
        total_lost + beta * s1 - phi * t1 as gradient_v,
        -mu * one_minus_mu * (total_lost - alpha * s1)
        - alpha * one_minus_mu * one_minus_mu * (s1 + alpha * s2) as hessian_uu,
        beta * s1 - beta * beta * s2 - phi * t1 + phi * phi * t2 as hessian_vv,
        -alpha * one_minus_mu * (s1 - beta * s2) as hessian_uv
    from {{ name }}_sums
),

{{ name }}_derivatives as (
    select
        *,
        abs(hessian_uu) + abs(hessian_vv) as hessian_scale
    from {{ name }}_raw_derivatives
),

{{ name }}_candidates as (
    -- Candidate points: the current one (step 0) and a few steps from it.
    select
        derivatives.segment,
        derivatives.point_id,
        steps.candidate_id,
        {%- if profile %}
        -- Newton in u; where the curvature is not negative, a fixed step uphill.
        greatest(-{{ sbg_max_abs_u() }}, least({{ sbg_max_abs_u() }}, derivatives.u + steps.step_size * case
            when derivatives.hessian_uu < 0 then -derivatives.gradient_u / derivatives.hessian_uu
            when derivatives.gradient_u > 0 then 0.5
            else -0.5
        end)) as u,
        derivatives.log_phi
    from {{ name }}_derivatives as derivatives
    cross join sbg_profile_steps as steps
        {%- else %}
        -- Newton in (u, log_phi) with the Hessian damped by
        -- damping * (|H_uu| + |H_vv|); damping null = stay.
        case when steps.damping is null then derivatives.u else
            greatest(-{{ sbg_max_abs_u() }}, least({{ sbg_max_abs_u() }}, derivatives.u - (
                (derivatives.hessian_vv - steps.damping * derivatives.hessian_scale) * derivatives.gradient_u
                - derivatives.hessian_uv * derivatives.gradient_v
            ) / nullif(
                (derivatives.hessian_uu - steps.damping * derivatives.hessian_scale)
                * (derivatives.hessian_vv - steps.damping * derivatives.hessian_scale)
                - derivatives.hessian_uv * derivatives.hessian_uv, 0
            )))
        end as u,
        case when steps.damping is null then derivatives.log_phi else
            greatest({{ sbg_min_log_phi() }}, least({{ sbg_max_log_phi() }}, derivatives.log_phi - (
                (derivatives.hessian_uu - steps.damping * derivatives.hessian_scale) * derivatives.gradient_v
                - derivatives.hessian_uv * derivatives.gradient_u
            ) / nullif(
                (derivatives.hessian_uu - steps.damping * derivatives.hessian_scale)
                * (derivatives.hessian_vv - steps.damping * derivatives.hessian_scale)
                - derivatives.hessian_uv * derivatives.hessian_uv, 0
            )))
        end as log_phi
    from {{ name }}_derivatives as derivatives
    cross join sbg_joint_steps as steps
        {%- endif %}
),

{{ name }}_candidate_parameters as (
    select
        candidates.segment,
        candidates.point_id,
        candidates.candidate_id,
        candidates.u,
        candidates.log_phi,
        {{ sbg_point_parameters('candidates.u', 'candidates.log_phi') | indent(8) }}
    from {{ name }}_candidates as candidates
),

{{ name }}_scored as (
    select
        points.segment,
        points.point_id,
        points.candidate_id,
        points.u,
        points.log_phi,
        sum({{ sbg_log_likelihood_term('counts.period', 'counts.lost', 'counts.survivors',
                                       'points.log_alpha', 'points.beta', 'points.phi') }}) as log_likelihood
    from {{ name }}_candidate_parameters as points
    inner join counts
        on points.segment = counts.segment
    group by
        points.segment,
        points.point_id,
        points.candidate_id,
        points.u,
        points.log_phi
),

{{ name }}_ranked as (
    select
        *,
        row_number() over (
            partition by segment, point_id
            order by case when log_likelihood is null then 1 else 0 end, log_likelihood desc, candidate_id
        ) as candidate_rank
    from {{ name }}_scored
),

{{ name }} as {{ materialized_cte() }}(
    select
        segment,
        point_id,
        u,
        log_phi,
        log_likelihood
    from {{ name }}_ranked
    where candidate_rank = 1
)
{% endmacro %}


{#- The sBG fit of int_sbg_fit as CTEs, from a CTE `survival_counts`
    (`segment`, `period`, `customers_at_risk`, `customers_lost`) whose
    `segment` is the group key; the last CTE, `final`, has one row per group
    (segment, alpha, beta, log_likelihood, customers_observed,
    customers_lost, last_observed_period, is_degenerate,
    is_at_search_bound). Used by int_sbg_fit and by the forecast backtest's
    refits (one group per origin month and segment). -#}
{% macro sbg_fit_ctes() -%}
{%- set profile_points = 121 %}
{%- set profile_steps = 6 %}
{%- set joint_steps = 8 %}

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
{%- endmacro %}
