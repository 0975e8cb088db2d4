"""A solution of exercise softmax_cross_entropy."""

import numpy as np


def softmax_cross_entropy(logits, target):
    """Mean cross-entropy of softmax(logits) against target, and d loss / d logits.

    Shape:
        logits: (N, K); target: (N,); dlogits: (N, K).
    """
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)  # largest logit 0: exp cannot overflow
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # N x K
    loss = -log_p[np.arange(N), target].mean()
    dlogits = np.exp(log_p)  # softmax, N x K
    dlogits[np.arange(N), target] -= 1
    return loss, dlogits / N
