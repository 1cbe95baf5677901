//! ASVspoof 5 Track 2 (spoofing-aware speaker verification): a-DCF, t-DCF and t-EER.
