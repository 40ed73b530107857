# Flux.jl's own losses (Flux.Losses), for `losscheck conform`:
#
#     julia --project=. Conformance/adapters/flux_adapter.jl
#     losscheck conform --adapter "julia Conformance/adapters/flux_adapter.jl"
#
# NOT RUN HERE: Julia cannot be installed in the environment this package is developed in, so
# this adapter has never been executed by the authors. It is written against Flux 0.14 / 0.15
# (keywords `eps`, `delta`, `beta`, `smooth`, no `weight`) and falls back to the 0.11-era
# spellings of the seed page (`ϵ`, `δ`, `β`, `weight`); treat its first run as a test of the
# adapter itself. Needs the packages Flux and JSON (`] add Flux JSON`).
#
# Flux is the normative implementation, so this adapter is expected to pass the default gate
# except where SEMANTICS.md says Flux's own floating-point code is graded divergent (the extreme
# regime: the Float32 mean of two 3e38, Inf·0 in Huber's untaken branch, …), and where the
# installed Flux no longer has a keyword (`weight`: answered `unsupported`).
#
# Gradients (PROTOCOL.md, "Gradients"; also never run here): a request with "grad" is answered with
# Zygote's gradient of the same Flux call, with the same keywords — `Zygote.gradient` for a scalar
# result, `Zygote.pullback` with the request's cotangent (default ones) for agg = none — so the
# answer is what Flux users get from ChainRules' rules and Zygote's broadcast. A scalar y is a
# Julia number, so Zygote returns its gradient as a number: the sum over the broadcast, written as
# a one-element array. `nothing` (no dependence) is written as zeros. A Zygote failure is answered
# with "gradUnsupported". Needs the package Zygote as well (`] add Zygote`).
#
# Half precision (issue 15; also never run here): "float16" requests are Julia's Float16 arrays,
# so Flux evaluates in Float16 (its sums and means accumulate in Float16, ϵ = eps(Float16) =
# 2⁻¹⁰); "bfloat16" requests use BFloat16s.BFloat16 when the package BFloat16s is installed
# (`] add BFloat16s`; then the hello lists it), else they are answered "unsupported". Numbers are
# read as Float64 and converted once (Julia's Float16(::Float64) rounds to nearest even);
# values and gradient elements are converted to the request's type and written as the shortest
# decimal that round-trips in it (`shortest`: %.{d-1}e for d = 1, 2, …).

using Flux, JSON, Printf, Statistics, Zygote

# BFloat16 only with the package BFloat16s (Flux has no BFloat16 of its own).
const BF16 = try
    @eval import BFloat16s
    BFloat16s.BFloat16
catch
    nothing
end
const DTYPES = Dict{String,Any}("float32" => Float32, "float64" => Float64, "float16" => Float16)
BF16 === nothing || (DTYPES["bfloat16"] = BF16)

const LOSSES = Dict(
    "mae" => Flux.Losses.mae, "mse" => Flux.Losses.mse, "msle" => Flux.Losses.msle,
    "huber_loss" => Flux.Losses.huber_loss, "crossentropy" => Flux.Losses.crossentropy,
    "logitcrossentropy" => Flux.Losses.logitcrossentropy,
    "binarycrossentropy" => Flux.Losses.binarycrossentropy,
    "logitbinarycrossentropy" => Flux.Losses.logitbinarycrossentropy,
    "kldivergence" => Flux.Losses.kldivergence, "poisson_loss" => Flux.Losses.poisson_loss,
    "hinge" => Flux.Losses.hinge_loss, "squared_hinge" => Flux.Losses.squared_hinge_loss,
    "dice_coeff_loss" => Flux.Losses.dice_coeff_loss, "tversky_loss" => Flux.Losses.tversky_loss,
)

# Protocol numbers: JSON numbers, or "NaN", "Infinity", "-Infinity".
number(x::AbstractString, T) = x == "NaN" ? T(NaN) : x == "Infinity" ? T(Inf) : T(-Inf)
number(x::Real, T) = T(x)
# Values go out as the Float64 of the value: exact, and read back in the request's dtype.
out(x) = isnan(x) ? "NaN" : isinf(x) ? (x > 0 ? "Infinity" : "-Infinity") : Float64(x)
# Half types: the shortest decimal (d = 1, 2, … significant digits) that reads back to x in its
# own type (Float64 parse, then one rounding); the exact Float64 if none of up to 9 digits does.
function shortest(x)
    v = Float64(x)
    (iszero(v) || !isfinite(v)) && return v
    for d in 1:9
        s = parse(Float64, @sprintf("%.*e", d - 1, v))
        typeof(x)(s) == x && return s
    end
    v
end
out(x::Float16) = isnan(x) ? "NaN" : isinf(x) ? (x > 0 ? "Infinity" : "-Infinity") : shortest(x)
# A value or gradient element in the request's type T (a wider result is rounded to T once).
out(x, T) = (T === Float16 || T === BF16) ? outhalf(T(x)) : out(x)
outhalf(x) = isnan(x) ? "NaN" : isinf(x) ? (x > 0 ? "Infinity" : "-Infinity") : shortest(x)

# Flat, column-major values and a shape: Julia's own layout.
array(values, shape, T) = reshape(T[number(v, T) for v in values], Tuple(Int.(shape))...)

# Keywords in the installed Flux's spelling, then in the 0.11 spelling of the seed page.
const MODERN = Dict("eps" => :eps, "delta" => :delta, "beta" => :beta, "smooth" => :smooth,
                    "dims" => :dims, "agg" => :agg, "weight" => :weight)
const SEED = Dict("eps" => :ϵ, "delta" => :δ, "beta" => :β, "smooth" => :smooth,
                  "dims" => :dims, "agg" => :agg, "weight" => :weight)

function keywords(params, T, names)
    kw = Pair{Symbol,Any}[]
    for (key, value) in params
        v = if key == "agg"
            Dict("mean" => mean, "sum" => sum, "none" => identity)[value]
        elseif key == "dims"
            value isa AbstractVector ? Tuple(Int.(value)) : Int(value)
        elseif key == "weight"
            value isa AbstractDict ? array(value["data"], value["shape"], T) : T(number(value, Float64))
        else
            T(number(value, Float64))  # scalar parameters in ŷ's element type, as ofeltype does
        end
        push!(kw, names[key] => v)
    end
    kw
end

struct Unsupported
    reason::String
end

# The request's inputs in Julia's layout, the loss and the element type.
function inputs(request)
    T = DTYPES[get(request, "dtype", "float64")]
    n = length(request["yhat"])
    shape = get(request, "shape", [n])
    yhat = array(request["yhat"], shape, T)
    y = request["y"] isa AbstractVector ? array(request["y"], get(request, "yshape", shape), T) :
        number(request["y"], T)
    LOSSES[request["loss"]], yhat, y, T
end

# The value and the keywords that worked (the installed Flux's spelling, else the seed page's),
# or an Unsupported.
function evaluate(request)
    loss, yhat, y, T = inputs(request)
    params = get(request, "params", Dict())
    try
        kw = keywords(params, T, MODERN)
        return loss(yhat, y; kw...), kw
    catch e
        e isa MethodError || rethrow()
        try
            kw = keywords(params, T, SEED)
            return loss(yhat, y; kw...), kw
        catch e2
            e2 isa MethodError || rethrow()
            return Unsupported("this Flux version does not take these keywords: " *
                               join(keys(params), ", ")), nothing
        end
    end
end

# The request's "grad" as a Bool (also ∂/∂y?), or nothing without one; ArgumentError otherwise.
function wants_gradient(request)
    if !haskey(request, "grad")
        haskey(request, "cotangent") && throw(ArgumentError("cotangent is given without grad"))
        return nothing
    end
    g = request["grad"]
    ok = g isa AbstractVector && !isempty(g) && all(v -> v in ("yhat", "y"), g) &&
         allunique(g) && "yhat" in g
    ok || throw(ArgumentError("grad must be [\"yhat\"] or [\"yhat\", \"y\"], got $(JSON.json(g))"))
    "y" in g
end

# Zygote's gradient of the same call: (∂/∂ŷ, ∂/∂y) as flat vectors; ArgumentError for a cotangent
# that does not fit the result.
function differentiate(request, value, kw)
    loss, yhat, y, T = inputs(request)
    f(a, b) = loss(a, b; kw...)
    if value isa AbstractArray && ndims(value) > 0
        c = haskey(request, "cotangent") ? T[number(v, T) for v in request["cotangent"]] :
            ones(T, length(value))
        length(c) == length(value) || throw(ArgumentError(
            "cotangent has $(length(c)) elements but the result has size $(size(value))"))
        _, back = Zygote.pullback(f, yhat, y)
        gyhat, gy = back(reshape(c, size(value)))
    else
        gyhat, gy = Zygote.gradient(f, yhat, y)
    end
    gyhat = gyhat === nothing ? zeros(T, length(yhat)) : vec(collect(gyhat))
    gy = gy === nothing ? zeros(T, length(y)) : gy isa Number ? [gy] : vec(collect(gy))
    gyhat, gy
end

kind(e) = e isa DimensionMismatch ? "DimensionMismatch" : e isa DomainError ? "DomainError" :
          e isa ArgumentError ? "ArgumentError" : "Other"

function answer(request)
    id = get(request, "id", "")
    if !haskey(LOSSES, get(request, "loss", ""))
        return Dict("id" => id, "unsupported" => "unknown loss")
    end
    dtype = get(request, "dtype", "float64")
    if !haskey(DTYPES, dtype)
        return Dict("id" => id, "unsupported" => dtype == "bfloat16" ?
            "dtype bfloat16 needs the package BFloat16s, which is not installed" : "dtype $dtype is not implemented")
    end
    value, kw, want_y = try
        want_y = wants_gradient(request)
        (evaluate(request)..., want_y)
    catch e
        return Dict("id" => id, "error" => Dict("kind" => kind(e), "message" => sprint(showerror, e)))
    end
    value isa Unsupported && return Dict("id" => id, "unsupported" => value.reason)
    T = DTYPES[get(request, "dtype", "float64")]
    response = if value isa AbstractArray && ndims(value) > 0
        Dict{String,Any}("id" => id, "value" => [out(v, T) for v in vec(value)], "shape" => collect(size(value)))
    else
        Dict{String,Any}("id" => id, "value" => out(value isa AbstractArray ? value[] : value, T))
    end
    want_y === nothing && return response
    try
        gyhat, gy = differentiate(request, value, kw)
        grad = Dict{String,Any}("yhat" => [out(v, T) for v in gyhat])
        want_y && (grad["y"] = [out(v, T) for v in gy])
        response["grad"] = grad
    catch e
        e isa ArgumentError && return Dict("id" => id, "error" => Dict("kind" => "ArgumentError",
                                                                        "message" => sprint(showerror, e)))
        response["gradUnsupported"] = "Zygote: " * first(split(sprint(showerror, e), '\n'))
    end
    response
end

function main()
    hello = Dict("protocol" => "losscheck/1",
                 "implementation" => "Flux $(pkgversion(Flux)), Zygote $(pkgversion(Zygote))",
                 "losses" => sort(collect(keys(LOSSES))), "dtypes" => [d for d in ("float32", "float64", "float16", "bfloat16") if haskey(DTYPES, d)],
                 "gradients" => true)
    println(JSON.json(hello)); flush(stdout)
    for line in eachline(stdin)
        isempty(strip(line)) && continue
        response = try
            answer(JSON.parse(line))
        catch e
            Dict("id" => "", "error" => Dict("kind" => "ArgumentError", "message" => sprint(showerror, e)))
        end
        println(JSON.json(response)); flush(stdout)
    end
end

main()
