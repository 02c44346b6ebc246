# Incendio workload "Cifar" (an image classifier in the spirit of CIFAR-10, seed 002 §VIII-A), in pure
# Python with nothing downloaded: a 32x32 RGB image generated from `seed` (coloured blobs), one 3x3
# convolution layer of 8 fixed-weight filters (edge, blur and colour detectors) with ReLU, 2x2 max pooling,
# global average pooling, and a fixed linear layer to CIFAR-10's ten classes with a softmax. The weights
# are fixed (seeded), not trained: the work per image is a small CNN's, the label is not meaningful.
# Args: seed (default 1).
import math
import random

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SIZE = 32


def image(seed):
    rng = random.Random(seed)
    img = [[[0.0, 0.0, 0.0] for _ in range(SIZE)] for _ in range(SIZE)]
    for _ in range(4):  # four soft blobs of random colour
        cx, cy, r = rng.uniform(0, SIZE), rng.uniform(0, SIZE), rng.uniform(4, 12)
        colour = [rng.random() for _ in range(3)]
        for y in range(SIZE):
            for x in range(SIZE):
                w = math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))
                px = img[y][x]
                for c in range(3):
                    px[c] += w * colour[c]
    return img


def filters():
    edge_x = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    edge_y = [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    blur = [[1 / 9.0] * 3 for _ in range(3)]
    out = []
    for k in (edge_x, edge_y, blur):  # on the luminance: the same kernel on every channel
        out.append([[[k[i][j] / 3.0] * 3 for j in range(3)] for i in range(3)])
    rng = random.Random(12345)
    for c in range(3):  # colour detectors
        out.append([[[(0.3 if ch == c else -0.15) for ch in range(3)] for _ in range(3)] for _ in range(3)])
    for _ in range(2):  # two seeded random filters
        out.append([[[rng.uniform(-0.5, 0.5) for _ in range(3)] for _ in range(3)] for _ in range(3)])
    return out


def conv_relu_pool(img, kernels):
    maps = []
    for k in kernels:
        fm = [[0.0] * (SIZE - 2) for _ in range(SIZE - 2)]
        for y in range(SIZE - 2):
            row = fm[y]
            for x in range(SIZE - 2):
                s = 0.0
                for i in range(3):
                    ir, kr = img[y + i], k[i]
                    for j in range(3):
                        p, w = ir[x + j], kr[j]
                        s += p[0] * w[0] + p[1] * w[1] + p[2] * w[2]
                row[x] = s if s > 0 else 0.0
        half = (SIZE - 2) // 2
        pooled = [[max(fm[2 * y][2 * x], fm[2 * y][2 * x + 1], fm[2 * y + 1][2 * x], fm[2 * y + 1][2 * x + 1])
                   for x in range(half)] for y in range(half)]
        maps.append(sum(sum(r) for r in pooled) / (half * half))
    return maps


def main(args):
    seed = int(args.get("seed", 1))
    features = conv_relu_pool(image(seed), filters())
    rng = random.Random(777)
    dense = [[rng.uniform(-1, 1) for _ in features] for _ in CLASSES]
    logits = [sum(w * f for w, f in zip(row, features)) for row in dense]
    top = max(logits)
    exp = [math.exp(v - top) for v in logits]
    total = sum(exp)
    probs = [e / total for e in exp]
    best = max(range(len(CLASSES)), key=lambda i: probs[i])
    return {"label": CLASSES[best], "confidence": round(probs[best], 4), "features": [round(f, 4) for f in features]}
