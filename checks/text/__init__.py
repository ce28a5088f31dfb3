"""Free-text columns: what recognises them, and the detectors the checks call for them.

One job a module; none imports ``audit``, and heavy libraries (scikit-learn, cleanlab) are
imported inside the functions that need them:

- kind.py        is a string column free text, an identifier, a categorical or numbers? (and why)
- normalise.py   the documented normalisation and the row hashes built on it
- exact.py       exact and normalised copies: duplicates within a split, leaks into val
- shingles.py    word (and character) n-gram hashes, vectorised
- minhash.py     MinHash signatures and locality-sensitive banding into candidate pairs
- jaccard.py     exact Jaccard similarities of pairs of shingle sets
- near.py        near duplicates and near leaks: candidates verified, calibrated threshold
- model.py       out-of-fold probabilities from TF-IDF and logistic regression
- shortcut.py    text columns that alone give the label away
- quality.py     empty texts, extreme lengths, mojibake, markup remnants
"""
