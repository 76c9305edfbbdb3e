"""Word vectors in the word2vec tutorial's manner, on a tiny made-up corpus: an embedding
matrix, `embedding_lookup` of centre words, a softmax over the vocabulary for their context
words, then cosine similarity of normalized embeddings and each word's nearest by `top_k`."""
from __future__ import annotations

import numpy as np


def main(tf):
    sentences = ["the cat sat on the mat", "the dog sat on the rug",
                 "a cat and a dog play", "the mat and the rug are red"]
    words = sorted({w for s in sentences for w in s.split()})
    index = {w: i for i, w in enumerate(words)}
    pairs = [(index[s[i]], index[s[j]]) for s in (x.split() for x in sentences)
             for i in range(len(s)) for j in (i - 1, i + 1) if 0 <= j < len(s)]
    centres = np.array([p[0] for p in pairs], np.int32)
    contexts = np.array([p[1] for p in pairs], np.int64)
    vocabulary_size, embedding_size = len(words), 6
    print("vocabulary", vocabulary_size, "pairs", len(pairs))
    train_inputs = tf.placeholder(tf.int32, shape=[None])
    train_labels = tf.placeholder(tf.int64, shape=[None])
    embeddings = tf.Variable(tf.random_uniform([vocabulary_size, embedding_size], -1.0, 1.0,
                                               seed=4))
    embed = tf.nn.embedding_lookup(embeddings, train_inputs)
    softmax_w = tf.Variable(tf.truncated_normal([embedding_size, vocabulary_size],
                                                stddev=1.0 / np.sqrt(embedding_size), seed=5))
    softmax_b = tf.Variable(tf.zeros([vocabulary_size]))
    logits = tf.matmul(embed, softmax_w) + softmax_b
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=train_labels, logits=logits))
    optimizer = tf.train.AdagradOptimizer(0.5).minimize(loss)
    norm = tf.sqrt(tf.reduce_sum(tf.square(embeddings), 1, keepdims=True))
    normalized_embeddings = embeddings / norm
    valid = tf.constant([index["cat"], index["mat"]], dtype=tf.int32)
    valid_embeddings = tf.nn.embedding_lookup(normalized_embeddings, valid)
    similarity = tf.matmul(valid_embeddings, normalized_embeddings, transpose_b=True)
    nearest = tf.nn.top_k(similarity, k=3)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        rng = np.random.RandomState(1)
        for step in range(201):
            batch = rng.randint(0, len(pairs), 16)
            _, l = sess.run([optimizer, loss], {train_inputs: centres[batch],
                                                train_labels: contexts[batch]})
            if step % 50 == 0:
                print("step", step, f"loss {l:.5f}")
        values, indices = sess.run(nearest)
        for word, row, sims in zip(("cat", "mat"), indices, values):
            print("nearest to", word, [words[i] for i in row[1:]], np.round(sims[1:], 3).tolist())
        print("norms", np.round(sess.run(tf.reduce_sum(tf.square(normalized_embeddings), 1)), 4)
              .tolist()[:3])
