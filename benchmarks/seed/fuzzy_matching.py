"""The dedup seed notebook's pipeline (shared/seeds/003_e7ac1a65dd13ed70.txt), cells kept verbatim.

The cells `ngram` (In [12]), the vectorizer (In [17]), the product (In [21],
`awesome_cossim_topn`, which sparse_dot_topn 1.x still ships as a wrapper of
`sp_matmul_topn`) and `get_matches_df` (In [22]) are copied unchanged; only
the lines that load the data and write the result are added, so the notebook
runs as a script:

    python benchmarks/seed/fuzzy_matching.py companies.csv matches.csv [--threads N]

It writes every stored element of the similarity matrix (the seed's
`get_matches_df(matches, company_list, top=None)`, self-matches included) as
left_side,right_side,similarity.  `--threads` is the one addition: the
notebook ran single-threaded; the benchmarks give both sides the same cores.
"""
import argparse
import re
import sys
import time

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix  # noqa: F401 - imported by the notebook's cell
from sklearn.feature_extraction.text import TfidfVectorizer
from sparse_dot_topn import awesome_cossim_topn


# In [12]
def ngram(s):
    n=3
    s = re.sub(r'[^a-zA-Z0-9\-\,&\s!]','',s)
    s = re.sub(r'[\-\,]',' ', s)
    s = re.sub(r'\s+',' ', s)
    s = s.replace('&','and')
    s = s.title()
    s = s.strip()
    s = ' '+s+' '
    ngrams = zip(*[s[i:] for i in range(n)])
    ngrams = [''.join(ngram) for ngram in ngrams]
    return ngrams


# In [22]
def get_matches_df(sparse_matrix, name_vector, top=100):
    non_zeros = sparse_matrix.nonzero()
    
    sparserows = non_zeros[0]
    sparsecols = non_zeros[1]
    
    if top:
        nr_matches = top
    else:
        nr_matches = sparsecols.size
    
    left_side = np.empty([nr_matches], dtype=object)
    right_side = np.empty([nr_matches], dtype=object)
    similarity = np.zeros(nr_matches)
    
    for index in range(0, nr_matches):
        left_side[index] = name_vector[sparserows[index]]
        right_side[index] = name_vector[sparsecols[index]]
        similarity[index] = sparse_matrix.data[index]
    
    return pd.DataFrame({'left_side': left_side,
                          'right_side': right_side,
                           'similarity': similarity})


def seed_matches(company_list, threads=1):
    """In [17] and In [21]: the TF-IDF matrix and the top-10 product above 0.6."""
    vectorizer = TfidfVectorizer(min_df=1, analyzer=ngram)
    tfidf_matrix = vectorizer.fit_transform(company_list)
    if threads > 1:
        return awesome_cossim_topn(tfidf_matrix, tfidf_matrix.transpose(), 10, 0.6, use_threads=True, n_jobs=threads)
    return awesome_cossim_topn(tfidf_matrix, tfidf_matrix.transpose(), 10, 0.6)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    df = pd.read_csv(args.input)
    company_list = df['CompanyName'].unique()
    matches = seed_matches(company_list, args.threads)
    matches_df = get_matches_df(matches, company_list, top=None)
    matches_df.to_csv(args.output, index=False)
    print(f"{len(company_list)} names, {matches.nnz} matrix elements, {time.perf_counter() - started:.2f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
