<?php
// Answers 200 whatever became of the request body (routes/stream_cut_fpm.t).
$body = file_get_contents('php://input');
header('Content-Type: text/plain');
echo 'LR-ROUTES-PHP read=' . strlen($body) . ' cl='
    . ($_SERVER['CONTENT_LENGTH'] ?? '-') . "\n";
