"""Speed of comm_wm.action_transformer, measured in one run (median of interleaved repeats).

1. forward + backward of `ActionTransformer` (batch 32, 100 steps = 200 interleaved tokens, width 128,
   4 layers, 4 heads, feed-forward 256, GELU, pre-norm, no dropout) against `nn.TransformerEncoder` of the
   same sizes doing the same job on 200 tokens: causal mask + key-padding mask (as the seed's code used it).
   The encoder-only figure with just `is_causal` (no padding mask) is printed too, for reference.
   Ours includes its embeddings and heads; the reference is the bare encoder. Target: <= 0.85x.
2. decoding 200 tokens (100 steps, batch 32) with the KV cache (`act`) against re-running the full
   causal pass on the growing prefix at every step. Target: >= 8x faster.

usage: python bench/transformers.py [--repeats 7] [--threads 1]
Last line: `fwd_bwd_time_vs_nn_transformer = R1; kv_cache_decode_speedup = R2`.
"""
import argparse, statistics, time
import torch
import torch.nn as nn
from comm_wm.action_transformer import ActionTransformer

p = argparse.ArgumentParser()
p.add_argument('--repeats', type=int, default=7)
p.add_argument('--threads', type=int, default=1)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

B, STEPS, D, LAYERS, HEADS, FF, ACTIONS = 32, 100, 128, 4, 4, 256, 10
N = 2 * STEPS  # tokens

ours = ActionTransformer(state_dim=D, action_dim=ACTIONS, embed_dim=D, num_layers=LAYERS, num_heads=HEADS,
                         hidden_dim=FF, max_seq_len=STEPS)
ref = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0., activation='gelu', batch_first=True,
                                                       norm_first=True), LAYERS, enable_nested_tensor=False)
states, actions = torch.randn(B, STEPS, D), torch.randint(0, ACTIONS, (B, STEPS))
seq_lens = torch.randint(STEPS // 2, STEPS + 1, (B,))
x = torch.randn(B, N, D)
causal = torch.ones(N, N, dtype=torch.bool).triu(1)                   # True = masked (nn convention)
key_padding = torch.arange(N) >= 2 * seq_lens[:, None]                # True = padded

def ours_fwd_bwd():
    preds, values = ours(states, actions, seq_lens)
    (preds.sum() + values.sum()).backward()

def ref_fwd_bwd():
    ref(x, mask=causal, src_key_padding_mask=key_padding).sum().backward()

def ref_causal_only_fwd_bwd():
    ref(x, mask=causal, is_causal=True).sum().backward()

def timed(fn, reps, store):
    t0 = time.perf_counter()
    fn()
    store.append(time.perf_counter() - t0)

fwd = {f: [] for f in (ours_fwd_bwd, ref_fwd_bwd, ref_causal_only_fwd_bwd)}
for f in fwd: f()  # warm-up
for _ in range(args.repeats):
    for f in fwd: timed(f, 1, fwd[f])
med = {f.__name__: statistics.median(v) for f, v in fwd.items()}
for k, v in med.items(): print(f'{k:28s} {v * 1e3:8.1f} ms (median of {args.repeats})')
fwd_ratio = med['ours_fwd_bwd'] / med['ref_fwd_bwd']
print(f'forward+backward, ours / nn.TransformerEncoder (causal + padding mask): {fwd_ratio:.2f}x'
      f'   (vs causal-only encoder: {med["ours_fwd_bwd"] / med["ref_causal_only_fwd_bwd"]:.2f}x)')

ours.eval()
@torch.inference_mode()
def decode_cached():
    cache, action = None, None
    for t in range(STEPS): action, cache = ours.act(states[:, t], action, cache, greedy=True)
    return action

@torch.inference_mode()
def decode_full_pass():
    taken = torch.zeros(B, STEPS, dtype=torch.long)
    for t in range(STEPS):  # the action slot of step t is a placeholder: it cannot influence step t's prediction
        preds, _ = ours(states[:, :t + 1], taken[:, :t + 1])
        taken[:, t] = preds[:, -1].argmax(-1)
    return taken[:, -1]

assert torch.equal(decode_cached(), decode_full_pass()), 'cached and full-pass decoding disagree'
dec = {decode_cached: [], decode_full_pass: []}
for _ in range(max(3, args.repeats // 2)):
    for f in dec: timed(f, 1, dec[f])
dmed = {f.__name__: statistics.median(v) for f, v in dec.items()}
for k, v in dmed.items(): print(f'{k:28s} {v * 1e3:8.1f} ms for {N} tokens (batch {B})')
speedup = dmed['decode_full_pass'] / dmed['decode_cached']
print(f'torch {torch.__version__}, threads {torch.get_num_threads()}')
print(f'fwd_bwd_time_vs_nn_transformer = {fwd_ratio:.2f}; kv_cache_decode_speedup = {speedup:.1f}')
